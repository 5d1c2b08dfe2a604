package modxtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
)

// Extra is the amoCRM extra 1.9.3 at work on a miniShop2 4.x shop: its
// methods write what the extra's PHP writes, in the order it writes it, to
// the shop's database and to amoCRM's API v4 (a sandbox), so a test starts
// from what a shop switching away from it really has. Each method names
// the PHP it follows (core/components/amocrm/model/amocrm/…, 1.9.3).
type Extra struct {
	DB      *sqlx.DB
	Shop    Options
	BaseURL string       // amoCRM, e.g. the sandbox's URL
	Token   string       // the bearer token its requests carry
	HTTP    *http.Client // nil: http.DefaultClient
}

// oldToken is amocrm_token_field as Auth::saveToken writes it: amoCRM's
// answer with expires_in made absolute and refresh_token_lifetime added
// (strtotime('3 month')), json_encode keeping the answer's key order.
type oldToken struct {
	TokenType            string `json:"token_type"`
	ExpiresIn            int64  `json:"expires_in"`
	AccessToken          string `json:"access_token"`
	RefreshToken         string `json:"refresh_token"`
	ServerTime           int64  `json:"server_time,omitempty"`
	RefreshTokenLifetime int64  `json:"refresh_token_lifetime"`
}

// Authorize is Auth::getToken (controllers/auth.php): the auth code is
// exchanged at /oauth2/access_token (a JSON body, redirect_uri = site_url),
// the token saved into amocrm_token_field and amocrm_client_code cleared;
// e's later requests carry the token. The extra does this on its first
// request, also on the zero-config path that fails right after.
func (e *Extra) Authorize(ctx context.Context, clientID, clientSecret, code, redirectURI string, now time.Time) error {
	var tok oldToken
	body := map[string]string{"client_id": clientID, "client_secret": clientSecret, "code": code,
		"grant_type": "authorization_code", "redirect_uri": redirectURI}
	if err := e.call(ctx, http.MethodPost, "/oauth2/access_token", body, &tok); err != nil {
		return fmt.Errorf("the extra's code exchange: %w", err)
	}
	tok.ExpiresIn += now.Unix()
	tok.RefreshTokenLifetime = now.AddDate(0, 3, 0).Unix()
	data, err := json.Marshal(tok)
	if err != nil {
		return err
	}
	if err := SetSetting(ctx, e.DB, e.Shop, "amocrm_token_field", string(data)); err != nil {
		return err
	}
	e.Token = tok.AccessToken
	return SetSetting(ctx, e.DB, e.Shop, "amocrm_client_code", "")
}

// MapStatuses is amoCRM::eqAmoMiniShopStatuses for one pipeline: every
// active shop status (in id order) without an amocrm_status row in that
// pipeline gets one for the amoCRM status of exactly its name, if the
// pipeline has one. It runs for each pipeline the extra sends a deal to
// when it sets pipelines up (amocrm_auto_update_pipelines, or a pipeline
// it does not know), so a shop with category pipelines has rows for each.
func (e *Extra) MapStatuses(ctx context.Context, pipelineID int64) error {
	var p struct {
		Embedded struct {
			Statuses []struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			} `json:"statuses"`
		} `json:"_embedded"`
	}
	if err := e.call(ctx, http.MethodGet, "/api/v4/leads/pipelines/"+strconv.FormatInt(pipelineID, 10), nil, &p); err != nil {
		return fmt.Errorf("the extra's pipeline read: %w", err)
	}
	var shop []struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	q := "SELECT id, name FROM `" + e.Shop.Prefix + "ms2_order_statuses` WHERE active = 1 ORDER BY id"
	if err := e.DB.SelectContext(ctx, &shop, q); err != nil {
		return fmt.Errorf("read shop statuses: %w", err)
	}
	for _, s := range shop {
		var n int
		q := "SELECT COUNT(*) FROM `" + e.Shop.Prefix + "amocrm_status` WHERE pipeline_id = ? AND status = ?"
		if err := e.DB.GetContext(ctx, &n, q, pipelineID, s.ID); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		for _, a := range p.Embedded.Statuses {
			if a.Name == s.Name {
				if _, err := insertRow(ctx, e.DB, e.Shop.Prefix, "amocrm_status",
					map[string]any{"pipeline_id": pipelineID, "status": s.ID, "status_id": a.ID}); err != nil {
					return err
				}
				break
			}
		}
	}
	return nil
}

// SendOrder is Leads::addOrder on msOnCreateOrder for a miniShop2 4.x
// order: the contact is searched by the address phone's digits, else made
// from the profile behind user_id (Contacts::addContact: its link, else a
// search by e-mail and phone, else a new contact, which 1.9.3 gave its
// name and nothing else, and a link in amocrm_users); then the deal is
// created in pipelineID at the amoCRM status amocrm_status gives shop
// status 1 (getLeadStatusId: the order is still at 0, so
// amocrm_new_order_status_id) and linked in amocrm_leads. The deal goes
// without the v2 key date_create, which amoCRM refuses: these are the
// deals that worked.
func (e *Extra) SendOrder(ctx context.Context, orderID, pipelineID int64) (leadID, contactID int64, err error) {
	if e.Shop.gen() != Gen4x {
		return 0, 0, fmt.Errorf("the extra's replay reads miniShop2 %s orders, not %s", Gen4x, e.Shop.gen())
	}
	p := func(t string) string { return "`" + e.Shop.Prefix + t + "`" }
	var o struct {
		Num    string  `db:"num"`
		Cost   float64 `db:"cost"`
		UserID int64   `db:"user_id"`
		Phone  string  `db:"phone"`
		Name   string  `db:"fullname"`
		Email  string  `db:"email"`
		Mobile string  `db:"mobilephone"`
		Ph     string  `db:"profile_phone"`
	}
	q := "SELECT COALESCE(o.num, '') AS num, COALESCE(o.cost, 0) AS cost, o.user_id, COALESCE(a.phone, '') AS phone, " +
		"COALESCE(u.fullname, '') AS fullname, COALESCE(u.email, '') AS email, COALESCE(u.mobilephone, '') AS mobilephone, " +
		"COALESCE(u.phone, '') AS profile_phone FROM " + p("ms2_orders") + " o LEFT JOIN " + p("ms2_order_addresses") +
		" a ON a.order_id = o.id LEFT JOIN " + p("user_attributes") + " u ON u.internalKey = o.user_id WHERE o.id = ?"
	if err := e.DB.GetContext(ctx, &o, q, orderID); err != nil {
		return 0, 0, fmt.Errorf("read order %d: %w", orderID, err)
	}
	var status int64
	q = "SELECT status_id FROM " + p("amocrm_status") + " WHERE status = 1 AND pipeline_id = ? ORDER BY id LIMIT 1"
	if err := e.DB.GetContext(ctx, &status, q, pipelineID); err != nil {
		return 0, 0, fmt.Errorf("no amocrm_status row for shop status 1 in pipeline %d: the extra would send status_id 1, which amoCRM refuses: %w", pipelineID, err)
	}
	if contactID, err = e.searchContact(ctx, digits(o.Phone)); err != nil {
		return 0, 0, err
	}
	if contactID == 0 {
		if contactID, err = e.addContact(ctx, o.UserID, o.Name, o.Email, o.Ph, o.Mobile); err != nil {
			return 0, 0, err
		}
	}
	lead := map[string]any{
		"name": "Заказ с сайта " + o.Num, "price": int64(o.Cost + 0.5), "pipeline_id": pipelineID, "status_id": status,
		"_embedded": map[string]any{"contacts": []map[string]int64{{"id": contactID}}},
	}
	var created struct {
		Embedded struct {
			Leads []struct {
				ID int64 `json:"id"`
			} `json:"leads"`
		} `json:"_embedded"`
	}
	if err := e.call(ctx, http.MethodPost, "/api/v4/leads", []any{lead}, &created); err != nil || len(created.Embedded.Leads) == 0 {
		return 0, 0, fmt.Errorf("the extra's deal for order %d: %v", orderID, err)
	}
	leadID = created.Embedded.Leads[0].ID
	_, err = insertRow(ctx, e.DB, e.Shop.Prefix, "amocrm_leads", map[string]any{"order": orderID, "order_id": leadID, "pipeline_id": pipelineID})
	return leadID, contactID, err
}

// ChangeStatus is miniShop2's changeOrderStatus() by a manager with the
// extra's plugin on msOnChangeOrderStatus (Leads::changeOrderStatusInAmo):
// the order moves with a log row; then, its status not being the
// hard-coded new status 1, the extra reads the order's deal for its
// current pipeline and moves it to the amoCRM status amocrm_status gives
// the new shop status there, doing nothing when no row does.
func (e *Extra) ChangeStatus(ctx context.Context, orderID, status, manager int64, at time.Time) error {
	if err := ChangeStatusBy(ctx, e.DB, e.Shop, orderID, status, manager, at); err != nil {
		return err
	}
	if status == 1 {
		return nil
	}
	var leads []int64
	q := "SELECT order_id FROM `" + e.Shop.Prefix + "amocrm_leads` WHERE `order` = ? ORDER BY id LIMIT 1"
	if err := e.DB.SelectContext(ctx, &leads, q, orderID); err != nil || len(leads) == 0 {
		return err
	}
	var lead struct {
		PipelineID int64 `json:"pipeline_id"`
	}
	if err := e.call(ctx, http.MethodGet, "/api/v4/leads/"+strconv.FormatInt(leads[0], 10), nil, &lead); err != nil {
		return fmt.Errorf("the extra's deal read: %w", err)
	}
	var to []int64
	q = "SELECT status_id FROM `" + e.Shop.Prefix + "amocrm_status` WHERE status = ? AND pipeline_id = ? ORDER BY id LIMIT 1"
	if err := e.DB.SelectContext(ctx, &to, q, status, lead.PipelineID); err != nil || len(to) == 0 {
		return err
	}
	move := map[string]int64{"id": leads[0], "status_id": to[0], "pipeline_id": lead.PipelineID}
	return e.call(ctx, http.MethodPatch, "/api/v4/leads", []any{move}, &struct{}{})
}

// addContact is Contacts::addContact for an order's profile.
func (e *Extra) addContact(ctx context.Context, userID int64, name string, queries ...string) (int64, error) {
	var linked []int64
	q := "SELECT user_id FROM `" + e.Shop.Prefix + "amocrm_users` WHERE `user` = ?"
	if err := e.DB.SelectContext(ctx, &linked, q, userID); err != nil {
		return 0, err
	}
	if len(linked) > 0 {
		return linked[0], nil // the update branch, which sends nothing in 1.9.3
	}
	for _, v := range queries {
		if v = queryChars.ReplaceAllString(v, ""); v == "" {
			continue
		}
		if id, err := e.searchContact(ctx, v); err != nil || id != 0 {
			return id, err
		}
	}
	var created struct {
		Embedded struct {
			Contacts []struct {
				ID int64 `json:"id"`
			} `json:"contacts"`
		} `json:"_embedded"`
	}
	if err := e.call(ctx, http.MethodPost, "/api/v4/contacts", []any{map[string]string{"name": name}}, &created); err != nil || len(created.Embedded.Contacts) == 0 {
		return 0, fmt.Errorf("the extra's contact for user %d: %v", userID, err)
	}
	id := created.Embedded.Contacts[0].ID
	if userID > 0 {
		_, err := insertRow(ctx, e.DB, e.Shop.Prefix, "amocrm_users", map[string]any{"user": userID, "user_id": id})
		return id, err
	}
	return id, nil
}

// queryChars are what addContact strips from a search value.
var queryChars = regexp.MustCompile(`[^a-zA-ZА-Яа-я0-9@.\-+]`)

// searchContact is Contacts::searchContact: the first contact amoCRM's
// query finds, 0 for none (amoCRM answers an empty list with 204).
func (e *Extra) searchContact(ctx context.Context, query string) (int64, error) {
	if query == "" {
		return 0, nil
	}
	var found struct {
		Embedded struct {
			Contacts []struct {
				ID int64 `json:"id"`
			} `json:"contacts"`
		} `json:"_embedded"`
	}
	path := "/api/v4/contacts?" + url.Values{"page": {"1"}, "limit": {"2"}, "query": {query}}.Encode()
	if err := e.call(ctx, http.MethodGet, path, nil, &found); err != nil {
		return 0, fmt.Errorf("the extra's contact search: %w", err)
	}
	if len(found.Embedded.Contacts) == 0 {
		return 0, nil
	}
	return found.Embedded.Contacts[0].ID, nil
}

// Queue is amoCRMTools::addSQTask with amocrm_use_simple_queue on: a task
// the extra's cron (cron/secondlyrunner.php) sends later; action 2 is an
// order, subject its id.
func (e *Extra) Queue(ctx context.Context, action int, subject string, at time.Time) error {
	_, err := insertRow(ctx, e.DB, e.Shop.Prefix, "simplequeue_messages", map[string]any{
		"service": "amoCRM", "action": strconv.Itoa(action), "subject": subject, "createdon": at.UTC(), "properties": "",
	})
	return err
}

// call makes one request of the extra's: a JSON body, a bearer token (not
// on the code exchange), a JSON answer into out (204: nothing).
func (e *Extra) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.BaseURL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if path != "/oauth2/access_token" {
		req.Header.Set("Authorization", "Bearer "+e.Token)
	}
	client := e.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return err
	case resp.StatusCode == http.StatusNoContent:
		return nil
	case resp.StatusCode >= 300:
		return fmt.Errorf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
	return json.Unmarshal(data, out)
}

func digits(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			out = append(out, s[i])
		}
	}
	return string(out)
}
