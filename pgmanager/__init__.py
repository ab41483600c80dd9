"""pgmanager: migrations, RLS policies and views for PostgreSQL and Supabase, where the SQL is the product."""

__version__ = "0.1.0"
