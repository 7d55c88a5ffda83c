-- The event view reads an event's attributes in keyset-paged batches, in the
-- order it shows them: top-level attributes by id (object_id IS NULL), then
-- attributes in objects by object and id. Both are range scans of this index;
-- without it every batch of object attributes sorted all of the event's.
CREATE INDEX attributes_event_object ON attributes (event_id, object_id, id);
