"""One Jinja2 environment for every server-rendered page, its layout and static files."""
