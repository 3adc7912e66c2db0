"""The PostgreSQL database engine of every hub service: Django's, with one loader fixed (see `base`)."""
