"""The OneRoster 1.1 REST binding, `/ims/oneroster/v1p1` (spec/roster-delivery.md §2)."""
