-- expect: ban-char-field
create table public.countries (code char(2) not null);

-- expect: ban-char-field
alter table public.countries add column iso3 character(3);
