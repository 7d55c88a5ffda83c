-- value2 is '' for every non-composite attribute: index only the non-empty
-- second halves (as on PostgreSQL, where the full index slowed inserts). A
-- lookup by value2 must say `value2 <> ''` for the planner to use this index.
DROP INDEX attributes_value2;
CREATE INDEX attributes_value2 ON attributes (value2) WHERE value2 <> '';
