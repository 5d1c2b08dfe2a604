-- The highest amoCRM id (a lead's for a deal's marker, a contact's for a
-- contact's) known before the create: the entity, if amoCRM stored it, has a
-- higher id, so reconciling pages the list newest first down to this id and
-- never concludes "absent" from a search. -1: not known (markers written
-- before this column existed); the whole list is then paged.
ALTER TABLE {{prefix}}pending ADD COLUMN above_id BIGINT NOT NULL DEFAULT -1 AFTER payload_hash;
