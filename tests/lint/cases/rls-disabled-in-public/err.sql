-- expect: rls-disabled-in-public
create table public.invoices (
    id bigint generated always as identity primary key,
    amount numeric not null
);

-- enabled, then disabled again
-- expect: rls-disabled-in-public
create table public.receipts (
    id bigint generated always as identity primary key
);

alter table public.receipts enable row level security;

alter table public.receipts disable row level security;
