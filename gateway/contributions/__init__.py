"""The contributions core: the only code that writes contributions and answers.

`intake` holds what a channel hands over, `door` the one function that records
it, `decisions` what a person decides afterwards (for mediation), and
`repository` all their SQL.
"""
