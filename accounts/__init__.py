"""Users: email login, roles, and the permission rule shared by views, downloads and admin."""
