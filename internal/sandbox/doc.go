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
//	   An account says whether it has the alpha: the official SDK lists
//	   is_api_filter_enabled among the `with` values of GET /api/v4/account
//	   (AccountModel::IS_API_FILTER_ENABLED in getAvailableWith, sent as
//	   with=is_api_filter_enabled by EntitiesServices/Account::getCurrent)
//	   and reads it as a top-level bool of the answer, only when present
//	   (AccountModel::fromArray: isset($account['is_api_filter_enabled']) ->
//	   setIsApiFilterEnabled) [amocrm-api-php src/AmoCRM/Models/AccountModel.php,
//	   src/AmoCRM/EntitiesServices/Account.php]; another PHP client asks for
//	   it on every account read [ufee/amoapi-v4 Services/Account.php _boot:
//	   with=...,is_api_filter_enabled]. Kommo's
//	   account page does not list it among its `with` values
//	   [developers.kommo.com/reference/account-parameters]. The sandbox
//	   answers it when asked: true, and false with `-filters-ignored`. Mode
//	   `-no-filter-flag` (the reading where amoCRM is silent: not every
//	   account need answer it) leaves it out; not part of `-strict`, whose
//	   account answers false.
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
// # Lists, products, links and tasks
//
// What the sandbox follows, with its source:
//
//   - GET /api/v4/catalogs: page, limit (at most 250) and type
//     (products|invoices|regular), as the official SDK's CatalogsFilter sends
//     it [amocrm-api-php Filters/CatalogsFilter.php, issue #117]; a list is
//     {id, name, type, sort, can_add_elements, can_show_in_cards,
//     can_link_multiple, can_be_deleted, sdk_widget_code, account_id}; at most
//     10 lists, one products and one invoices list; lists need the Extended
//     plan and above («Функция доступна начиная с расширенного тарифа») and
//     rights to lists [amocrm.ru/developers/content/crm_platform/catalogs-api].
//     GET /api/v4/catalogs/{id} and /custom_fields as for leads.
//   - The default account's products list «Товары» has a real account's preset
//     fields: SKU «Артикул» (text), GROUP «Группа» (category), PRICE «Цена»
//     (price), DESCRIPTION «Описание» (textarea), EXTERNAL_ID «External ID»
//     (text, hidden), UNIT and SPECIAL_PRICE_1 [a public dump of an account's
//     fields; a recorded answer of POST /api/v4/catalogs/{id}/elements
//     (tough-dev-school/education-backend tests) types PRICE "price" and shows
//     EXTERNAL_ID written through the API; a Kommo account's element shows
//     UNIT and SPECIAL_PRICE_1]. Kommo's docs example types PRICE "numeric";
//     the sandbox takes the recorded answer. SeedWithoutProducts (`sandbox
//     -no-products`) is an account whose one list is a regular one.
//   - Elements: GET /api/v4/catalogs/{id}/elements takes query, filter[id],
//     page and limit; POST and PATCH take arrays of {name,
//     custom_fields_values, request_id} (PATCH with id) and answer the whole
//     elements with their request_id [catalogs-api examples]. A page holds 100
//     whatever limit asks and names no next page [amocrm-api-php #528: since
//     2023-08-24 a page is 100 and nextPage fails]: a client stops at a short
//     page. No order is documented, so order[...] is refused; catalog_id is
//     not part of an element's write body [amocrm-api-php CatalogElementModel
//     toApi] and is refused there.
//   - Products cannot be set in a deal's create body: the deal is made
//     without them [amocrm-api-php #487], so _embedded.catalog_elements is
//     taken and dropped.
//   - Links: POST /api/v4/leads/{id}/link and /unlink take arrays of
//     {to_entity_id, to_entity_type, metadata}; a deal links contacts,
//     companies and list elements [amocrm.ru crm_platform/entity-links-api;
//     developers.kommo.com reference/linking-entities, unlinking-entities]. A
//     link is answered 200 with _embedded.links echoing entity_id and
//     entity_type, an unlink 204 [same; the SDK takes the 204 as success:
//     Traits/LinkMethodsTrait.php unlink]. A list element needs
//     metadata.catalog_id [entity-links-api]; its quantity may be fractional
//     and reads back as a float, price_id only when one was given (reference
//     §3.11; amocrm-api-php #508); contacts write metadata.is_main and read
//     main_contact [Kommo linked-entities]; an unknown metadata.updated_by is
//     NotSupportedChoice there [a 400 logged in amocrm-api-php #278]. The
//     mass forms, POST /api/v4/leads/link and /unlink with entity_id in every
//     item and GET /api/v4/leads/links?filter[entity_id][], are the official
//     SDK's [amocrm-api-php EntitiesServices/Links.php,
//     Filters/EntitiesLinksFilter.php, examples/links_mass_actions.php]; the
//     docs describe only the per-deal forms and the SDK reads no mass answer,
//     so the sandbox answers them as the per-deal ones. No limit of links per
//     request is documented: the writes' 250 applies. GET .../links filters
//     by to_entity_id with to_entity_type, and by to_catalog_id.
//   - with=catalog_elements on GET /api/v4/leads and /leads/{id} gives
//     _embedded.catalog_elements [{id, metadata{quantity, catalog_id,
//     price_id}}] (reference §3.11; amocrm-api-php LeadModel fromArray).
//   - Not documented, so taken as reported or as the gentler reading:
//     linking an element a deal already has sets its quantity ("если есть -
//     обновит", ufee/amoapi PR #44); unlinking what is not linked does
//     nothing; a link request with an invalid item stores nothing, as every
//     sandbox write. Mode `-links-strict` takes the harsher side: quantities
//     add up, and unlinking what is not linked is refused.
//   - Mode `-no-lists`: the plan has no lists, or the integration's user no
//     rights to them. What amoCRM answers then is not documented; the sandbox
//     answers 403 problem+json, the status amoCRM's error table gives a
//     request without rights [amocrm.ru developers/content/api/errors], to
//     every /api/v4/catalogs request and to links and reads naming list
//     elements, while the rest of the API works.
//   - Tasks: POST /api/v4/tasks takes arrays of at most 250 {text,
//     complete_till, task_type_id, responsible_user_id, entity_id,
//     entity_type, duration, is_completed, created_at, request_id}; text and
//     complete_till are required; entity_id needs entity_type (leads,
//     contacts, companies, customers) [amocrm.ru crm_platform/tasks-api;
//     developers.kommo.com reference/add-tasks; amocrm-api-php TaskModel
//     toApi]; answered _embedded.tasks[{id, request_id}]. A task without a
//     type is a call (1), without a responsible the token's user's
//     [inference]. GET /api/v4/tasks filters by responsible_user_id,
//     is_completed, task_type, entity_type, entity_id (needing entity_type:
//     «необходимо передать значение в filter[entity_type]»), id and
//     updated_at, and orders by created_at, complete_till or id [tasks-api;
//     amocrm-api-php TasksFilter]. These filters are the tasks method's own,
//     so `-filters-ignored` leaves them honoured [inference, as for events]:
//     a task whose create answer was lost is found on its deal.
//   - Task types: 1 and 2 in every account [tasks-api «1 – Звонок, 2 –
//     Встреча»]; GET /api/v4/account?with=task_types answers
//     _embedded.task_types [{id, name, color, icon_id, code}], 1 FOLLOW_UP
//     «Связаться», 2 MEETING «Встреча» [amocrm-api-php AccountModel,
//     AccountSettings/TaskType.php; the docs' example account]. The default
//     account adds one of its own, with no code.
//   - Tracking fields: deals have fields of type tracking_data («Метка»),
//     written like text, by field_id or by field_code, and not creatable
//     through the API (reference §3.12); the default account has the 19 codes
//     listed there (TrackingCodes), each named after its code in lower case.
//
// Left open (reference §8): whether linking changes the deal's price; how
// many links one request may carry; what a plan without lists answers;
// whether linking an element again sets or adds its quantity; whether a mass
// link is applied whole or in part. On the last, one report from the API
// before v4 (a PHP client's apiLink of the v2 links method) found fewer
// elements on the deal than were sent: 91 of 100, 47 of 50, 9 of 10
// [zero-archive/amocrm-php issue #100, 2020]; nothing says v4 does the
// same. The sync trusts a 2xx answer to a link request and reads the deal
// back only after an unknown outcome; a read-back after every request would
// cost a request per 100 deals.
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
