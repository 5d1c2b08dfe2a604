package sandbox

import (
	"fmt"
	"net/http"
)

// handleAccount is GET /api/v4/account; with=task_types adds
// _embedded.task_types [{id, name, color, icon_id, code}] (amocrm-api-php
// Models/AccountModel.php, AccountSettings/TaskType.php fromArray).
func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) {
	p, ok := listOrFail(w, r.URL.Query())
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type taskTypeView struct {
		TaskType
		Code   *string `json:"code"`
		Color  *string `json:"color"`
		IconID *int64  `json:"icon_id"`
	}
	var embedded map[string]any
	if p.with["task_types"] {
		types := make([]taskTypeView, len(s.st.TaskTypes))
		for i, t := range s.st.TaskTypes {
			types[i] = taskTypeView{TaskType: t}
			if t.Code != "" {
				types[i].Code = &types[i].TaskType.Code
			}
		}
		embedded = map[string]any{"task_types": types}
	}
	writeHAL(w, struct {
		Account
		CustomersMode           string         `json:"customers_mode"`
		IsLossReasonEnabled     bool           `json:"is_loss_reason_enabled"`
		IsHelpbotEnabled        bool           `json:"is_helpbot_enabled"`
		IsTechnicalAccount      bool           `json:"is_technical_account"`
		ContactNameDisplayOrder int            `json:"contact_name_display_order"`
		Links                   links          `json:"_links"`
		Embedded                map[string]any `json:"_embedded,omitempty"`
	}{Account: s.st.Account, CustomersMode: "disabled", ContactNameDisplayOrder: 1, Links: selfLinks(r, "/api/v4/account"), Embedded: embedded})
}

type userView struct {
	User
	Rights struct {
		IsAdmin  bool `json:"is_admin"`
		IsActive bool `json:"is_active"`
	} `json:"rights"`
	Links links `json:"_links"`
}

// handleUsers is GET /api/v4/users, paged. The account's current user is
// its admin.
func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) {
	p, ok := listOrFail(w, r.URL.Query())
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	page, more := pageOf(s.st.Users, p)
	views := make([]userView, len(page))
	for i, u := range page {
		views[i] = userView{User: u, Links: selfLinks(r, fmt.Sprintf("/api/v4/users/%d", u.ID))}
		views[i].Rights.IsAdmin = u.ID == s.st.Account.CurrentUserID
		views[i].Rights.IsActive = true
	}
	writePage(w, r, p, "users", views, len(views), more)
}
