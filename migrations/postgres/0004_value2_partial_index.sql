-- Most attributes are not composite, so value2 is '' in nearly every row. A
-- hash index over one key repeated millions of times degenerates into long
-- overflow chains and made every insert slower as the table grew (10k
-- attribute inserts: 1.6 s with it, 0.5 s without, at 110k rows). Only
-- non-empty second halves are indexed now; a lookup by value2 must say
-- `value2 <> ''` for the planner to use this index.
DROP INDEX attributes_value2;
CREATE INDEX attributes_value2 ON attributes USING hash (value2) WHERE value2 <> '';
