-- expect: identifier-too-long
create table public.a_table_with_a_name_that_is_far_too_long_for_postgresql_to_keep_whole (id bigint);

-- expect: identifier-too-long
create index this_index_name_is_also_far_too_long_for_postgresql_to_keep_whole_really
    on public.t (id);
