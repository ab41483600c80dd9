create table public.a_table_with_a_reasonably_long_but_acceptable_name_of_63_bytes (id bigint primary key);
