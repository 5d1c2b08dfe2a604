// Package report renders what a sync pass does, or in a dry run would do,
// to amoCRM: one Entry per entity (create, update with field diffs,
// unchanged, skip or fail with a reason) and a Summary at the end.
//
// Three formats share the Writer interface: an aligned text report for the
// terminal (NewText), a JSON document for scripts (NewJSON) and a single
// self-contained HTML page (NewHTML). Every writer streams: memory stays
// flat however many entries a backlog has. Text and HTML still show the
// summary first; how is explained at textWriter and htmlWriter.
//
// # JSON schema, version 1
//
// The document is one object. Its entries are written as they are planned,
// one per line, so the summary, known only at the end, comes after them:
//
//	{
//	  "schema_version": 1,          // bumped on any incompatible change
//	  "entries": [
//	    {
//	      "source": "orders",       // orders, order_logs, forms, users, shop_status, old_extra
//	      "kind": "lead",           // lead, contact, products, task, element, status_move, order_status,
//	                                // note, field, pipeline; entries that only inform: start (where a
//	                                // stream starts), wait (an order not sent yet, with why), link
//	                                // (links taken over)
//	      "source_id": 2311,        // order, form or user id; 0 for fields and pipelines
//	      "key": "order:2311",
//	      "action": "update",       // create, update, unchanged, skip, fail
//	      "amo_id": 1000043,        // existing amoCRM id; 0 when there is none yet
//	      "title": "Заказ с сайта 2311/1",
//	      "reason": "...",          // why: a skip's or failure's cause, the deal move an order_status
//	                                // update follows, a note on an unchanged entity; else absent
//	      "changes": [              // absent when there are none
//	        {"field": "price", "old": "1990", "new": "2490"}  // old is "" for a create
//	      ]                         // products: a product's name and the quantity linked;
//	                                // task: due, responsible, type; element: name and the list's fields
//	    }
//	  ],
//	  "dry_run": true,
//	  "sources": ["orders", "forms"], // the sources the pass covered
//	  "started": "2026-11-27T05:00:00Z",
//	  "finished": "2026-11-27T05:00:03.25Z",
//	  "requests": 7,                // amoCRM API requests made
//	  "error": "read pipelines: ...", // why the pass failed; absent when it did not. The
//	                                // entries are then what was planned before it failed
//	  "summary": {
//	    "entries": 9,
//	    "counts": [                 // one per kind seen, in the order above
//	      {"kind": "lead", "create": 1, "update": 1, "unchanged": 1, "skip": 0, "fail": 0}
//	    ],
//	    "totals": {"kind": "total", "create": 3, "update": 3, "unchanged": 1, "skip": 1, "fail": 1},
//	    "would_create": [           // fields and pipelines created (or, in a dry run, to be)
//	      {"kind": "field", "title": "goods"}
//	    ]
//	  }
//	}
//
// Field names are snake_case, lists are [] rather than null, times are
// RFC 3339 in UTC, and the output is byte-for-byte deterministic for the
// same entries and summary. Values are the shop's text as is (JSON-escaped).
//
// The text and HTML reports say "park" for the action "fail" (a failed
// record is parked: the summary line, `failed` and exit code 3 say so) and
// "deal" for the kind "lead" (amoCRM's API name of a deal); they show times
// in the summary's zone, the shop's, as the reasons and `failed` do.
package report
