"""The admin dashboard's domain side: accounts and sign-in, dashboard queries, send actions."""
