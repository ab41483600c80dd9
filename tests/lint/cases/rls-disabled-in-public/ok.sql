create table public.invoices (
    id bigint generated always as identity primary key,
    amount numeric not null
);

-- enabled later in the project counts
alter table public.invoices enable row level security;

create schema private;

-- not exposed through the API
create table private.jobs (
    id bigint generated always as identity primary key
);
