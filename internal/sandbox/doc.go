// Package sandbox emulates the documented amoCRM API v4 (OAuth, HAL JSON
// lists and batch writes, validation errors, rate limit, faults) so the
// connector is tested without an amoCRM account. It follows
// reference/amocrm-api-v4.md, not our client; where the reference leaves a
// question open (§8) the sandbox takes the stricter side:
//
//   - redirect_uri is required on refresh too (§8 q1);
//   - a refresh revokes the old refresh token and the old access token at
//     once (§8 q3); reusing the refresh token is 401 "Token has been revoked";
//   - GET /leads/{id} and /contacts/{id} of a missing entity answer 204 (§8 q5);
//   - limit above 250 is 400, not a silent 50 (§8 q6);
//   - 429 has an HTML body and no Retry-After (§8 q7);
//   - complex refuses an existing contact {id}: link it through POST /leads
//     with _embedded.contacts (§8 q8);
//   - price is an integer; dates are Unix seconds; numeric fields take a
//     number or a numeric string (§8 q9);
//   - a write with any invalid item stores nothing; the 400 lists every bad
//     item by request_id; unknown keys are validation errors;
//   - text values are limited to 256 characters, textarea to 10000; values
//     are never blank;
//   - `query` matches a substring of names and field values,
//     case-insensitively; a phone-like query (5+ digits) matches values
//     whose digits contain its digits, without rewriting 8 to 7;
//   - filters other than filter[id], filter[created_at] and
//     filter[updated_at] are refused rather than ignored;
//   - custom field names and codes are unique per entity; multitext fields
//     exist on contacts only.
//
// Where the documentation is explicit the default account follows it:
//
//   - lists sort by order[id|created_at|updated_at]=asc|desc on leads and by
//     order[id|updated_at] on contacts, nothing else (amocrm.ru
//     crm_platform/leads-api and contacts-api, "order");
//   - a PHONE or EMAIL value may name no enum (the official SDK's
//     examples/leads_complex_actions.php sends none); the sandbox then
//     records none, as which enum amoCRM picks is not documented;
//   - a deal's notes are listed by GET /leads/{id}/notes (the SDK's
//     EntityNotes::getByParentId, path api/v4/%s/%s/notes), with the
//     SDK's NotesFilter: filter[id], filter[note_type] (an array),
//     filter[updated_at] and order; the sandbox sorts by id or updated_at
//     only (amocrm.ru crm_platform/notes-api) and refuses created_at.
//
// # Strict modes
//
// Modes (Options.Modes, Server.SetModes, and one `modx-amocrm sandbox` flag
// each) make a harsher account. Modes.Strict turns on every reading the
// documentation leaves open; the account states are separate. The lines
// below are written for reference/amocrm-api-v4.md §7 (behaviours, with the
// flag) and §8 (what stays open), each with its source:
//
//	§7 15. Search is not a lookup. `query` is "to be deprecated soon" and says
//	   nothing of when a write becomes findable, of word splitting or of a
//	   minimum length [amocrm.com/developers/content/api_v4/filters_api/;
//	   amocrm.ru/developers/content/crm_platform/leads-api "query"]. Modes:
//	   `-search-lag D` (nothing written less than D ago is found) and
//	   `-search-no-fields` (custom-field values, so phones, e-mails and order
//	   numbers, are never found). Reconcile by paging
//	   `GET /api/v4/leads?order[id]=desc` (documented for every account:
//	   leads sort by created_at|updated_at|id, contacts by updated_at|id
//	   [amocrm.ru crm_platform/leads-api, contacts-api "order"]).
//	§7 16. Filters are an alpha "available to a limited list of accounts"
//	   [amocrm.ru/developers/content/crm_platform/filters-api;
//	   amocrm.com/developers/content/api_v4/filters_api/]; a user reports an
//	   ignored filter answering every contact [reported, issue 12]. Mode
//	   `-filters-ignored`: every filter[...] is dropped and the whole list is
//	   answered, sorted and paged as asked.
//	§7 17. Validation errors without request_id: one logged response had none
//	   (§4.1). Mode `-no-request-id`: no item names its request_id.
//	§7 18. Duplicate control on leads/complex: when enabled for the
//	   integration, a lead whose contact matches a known phone or e-mail is
//	   merged and answered with the existing lead's id and "merged": true;
//	   leads of one request are not checked against each other; request_id
//	   stays an array [developers.kommo.com/reference/complex-leads: the
//	   second answer repeats "id": 9774766 with "request_id": ["2"],
//	   "merged": true; amocrm-api-php examples/leads_complex_actions.php
//	   prints "обновлены" (updated) for isMerged(), Leads::processComplexAction
//	   reads merged and the request_id array]. With a contact field, only
//	   leads whose main contact is the found contact are duplicates
//	   [amocrm.ru/developers/content/crm_platform/duplication-control]. Mode
//	   `-duplicate-control`: phones compared by their last ten digits,
//	   e-mails case-insensitively, against contacts stored before the
//	   request; the newest lead of the same pipeline with that main contact
//	   (closed ones too) takes the merge, else a new lead on that contact,
//	   both "merged": true; a merge only fills fields the lead and contact
//	   have no value for [inference: what a merge overwrites is not
//	   documented].
//	§7 19. "Код ошибки 244": a 400 problem+json without validation-errors,
//	   {"title":"Bad Request","type":"https://httpstatus.es/400","status":400,
//	   "detail":"Код ошибки 244. В случае повторного возникновения ошибки,
//	   обращайтесь в нашу техническую поддержку - support@amocrm.ru"}, on
//	   POST /api/v4/leads while GETs work; the maintainer names missing
//	   rights or an ended subscription [amocrm-api-php issue #33]. Mode
//	   `-error-244`: every write gets it.
//	§7 20. Unsorted duplicates: Kommo's incoming-leads page says a repeated
//	   entity is an error [kommo.com/developers/content/api_v4/incoming-leads/
//	   "There can't be 2 of the same entity"], and the default account
//	   refuses a repeated source_uid; issue 12 reads Kommo as storing the copy
//	   and tagging both as duplicates [reported, not re-verified]. Mode
//	   `-unsorted-duplicates`: the copy is stored and every lead of that
//	   source_uid is tagged "Дубль" (the tag name is an assumption).
//	§7 21. Rate-limit block: after repeated 429s the account is blocked and
//	   every call gets 403, an nginx HTML page [amocrm.ru
//	   developers/content/api/recommendations; amocrm-api-php #318, #434].
//	   Mode `-block-after-429 N -block-for D` (default 1h): N 429s within a
//	   minute block every endpoint, OAuth included, for D.
//	§7 22. PHONE/EMAIL values without enum_code are accepted
//	   [amocrm-api-php examples/leads_complex_actions.php]; the sandbox
//	   records no enum for them.
//	§8 11. When does a write become findable by `query`, and does `query`
//	   search custom-field values on every account? (`-search-lag`,
//	   `-search-no-fields`.)
//	§8 12. Does an account without the filter alpha ignore filter[id][] and
//	   filter[updated_at] silently, or refuse them? (`-filters-ignored`.)
//	§8 13. On a duplicate-control merge, which fields of the existing lead
//	   and contact are overwritten, and are closed leads merged into?
//	   (`-duplicate-control` fills empty fields only and spares none.)
//	§8 14. Is a repeated unsorted source_uid refused or stored and tagged,
//	   and under which tag? (`-unsorted-duplicates`.)
//	§8 15. How many 429s, in what time, start the 403 block, and for how
//	   long? (`-block-after-429`, `-block-for`.)
//	§8 16. Which enum does amoCRM record for a PHONE/EMAIL value without one?
//
// # Events
//
// Every status or pipeline change of a lead made through PATCH
// /api/v4/leads is recorded as a lead_status_changed event (creates are
// not status changes), so tests move deals the way a manager would and the
// connector reads the moves back as it would from amoCRM. What the sandbox
// follows, with its source:
//
//   - GET /api/v4/events lists the account's events; page, limit (at most
//     100: "Максимум – 100"), with; filter[id] (string or array),
//     filter[created_at] (a timestamp: events created after it; or
//     filter[created_at][from] and [to]), filter[created_by],
//     filter[entity], filter[entity_id], filter[type]; 200, or 204 when no
//     event matches [amocrm.ru/developers/content/crm_platform/events-and-notes,
//     "Список событий"; amocrm.ru/developers/content/api/events, the v2 page,
//     for the 204]. The official SDK sends type, entity and entity_id as
//     comma-joined strings and created_at as an int or a from/to range
//     [amocrm-api-php src/AmoCRM/Filters/EventsFilter.php buildFilter];
//     filter[entity_id] needs exactly one filter[entity] [a third-party
//     client "verified against live amoCRM API": glama.ai cAIborg-ai/amocrm-mcp
//     amocrm_mcp/tools/analytics.py]. filter[value_before] and
//     filter[value_after] (leads_statuses, responsible_user_id, ...)
//     [developers.kommo.com/reference/events-filtration] are refused by the
//     sandbox, as any filter it does not implement.
//   - An event is id (a string such as "01pz58t6p04vxyd3mvvmwtnk4y"), type,
//     entity_id, entity_type, created_by, created_at (Unix seconds),
//     value_after, value_before, account_id, and _embedded.entity
//     [amocrm-api-php src/AmoCRM/Models/EventModel.php fromArray]. For
//     lead_status_changed both values are [{"lead_status": {"id": status,
//     "pipeline_id": pipeline}}] [Kommo connector description "для смены
//     этапа lead_status {id, pipeline_id}", glama.ai com.nova-kommo events_get;
//     a public client's fixture of the same shape; the official page's example
//     could not be read here, so this rests on third parties].
//   - Not documented, so taken strictly: the order of the list (the sandbox
//     answers newest second first, as amoCRM's own event feed shows it, but
//     within a second oldest first, so the first event seen of a deal is not
//     its last move; the connector depends on no order, and reads a deal
//     moved twice in one second back from amoCRM); whether the created_at bounds are
//     inclusive (the sandbox includes them; the connector re-reads an
//     overlap, so neither reading loses an event); when an event becomes
//     listable (at once here; the overlap covers a lag); and created_by of a
//     change made through the API (the token's user here; the connector tells
//     its own moves by the status it recorded, never by author).
//   - The events filters belong to the events method, not to the filters
//     alpha of §7 16, so `-filters-ignored` leaves them honoured [inference].
//
// A seed file (`-seed F.json`) has the shape of Seed:
//
//	{"account": {"id": 1, "name": "Shop", "subdomain": "shop", "current_user_id": 9},
//	 "pipelines": [{"id": 77, "name": "Заказы", "is_main": true, "is_unsorted_on": true,
//	                "statuses": [{"id": 501, "name": "Новый", "sort": 20, "is_editable": true}]}],
//	 "users": [{"id": 9, "name": "Админ", "email": "admin@shop.example"}],
//	 "custom_fields": {"contacts": [{"id": 700001, "name": "Телефон", "type": "multitext", "code": "PHONE",
//	                                 "enums": [{"id": 800001, "value": "WORK"}]}]}}
//
// 142, 143 and, with is_unsorted_on, the type-1 unsorted status are added to
// every pipeline that lacks them; ids left 0 are assigned.
package sandbox
