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
//   - multitext (PHONE, EMAIL) values must name their enum (enum_code or
//     enum_id); text values are limited to 256 characters, textarea to
//     10000; values are never blank;
//   - `query` matches a substring of names and field values,
//     case-insensitively; a phone-like query (5+ digits) matches values
//     whose digits contain its digits, without rewriting 8 to 7;
//   - filters other than filter[id], filter[created_at] and
//     filter[updated_at] are refused rather than ignored;
//   - custom field names and codes are unique per entity; multitext fields
//     exist on contacts only.
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
