-- Extensions the app uses, where Supabase keeps them.
create extension if not exists vector with schema extensions;
create extension if not exists http with schema extensions;
create extension if not exists pg_net with schema extensions;
