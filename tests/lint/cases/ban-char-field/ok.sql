create table public.countries (code text not null check (char_length(code) = 2), name varchar(100));
