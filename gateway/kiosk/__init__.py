"""Kiosk channel: touchscreen pages in the mairie, one question per screen."""
