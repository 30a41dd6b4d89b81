"""The module's rules and transactions, one module per thing: inspections, rectification and the
reverse check, the village ledger, the registers inspections are checked against, photos, and the
registers' starting contents."""
