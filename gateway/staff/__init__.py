"""Staff accounts and roles, server-side sessions, CSRF and médiateur PINs."""
