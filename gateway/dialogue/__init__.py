"""The question flow and the answer reading that every channel shares."""
