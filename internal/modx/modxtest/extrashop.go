package modxtest

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// ExtraAuth is what a shop types into the extra's settings to connect it:
// the account and the integration's client id, secret and 20-minute code.
type ExtraAuth struct {
	Account, ClientID, ClientSecret, Code, RedirectURI string
}

// ExtraShop is a miniShop2 4.x shop that ran the amoCRM extra 1.9.3 with a
// main pipeline and a category pipeline (issue 21): what BuildExtraShop
// made, by the ids a test checks against.
type ExtraShop struct {
	Admin    int64 // the site's admin (sudo), as MODX's setup makes it: the manager who moves orders
	Category int64 // its orders go to the wholesale pipeline
	Ivan     int64 // a guest's account, made by his first checkout
	Maria    int64 // a registered customer, phone and e-mail in her profile
	// Sent are the orders the extra sent, in order: Ivan's (paid), Maria's
	// (sent), Ivan's second, in the category (cancelled), and one web order
	// miniShop2 4.4.1 left at status 0, which the extra's plugin sent
	// before the fatal (#950).
	Sent []int64
	// Deals and Contacts are what the extra made: order -> deal, and user
	// -> contact, contacts with a name and nothing else.
	Deals, Contacts map[int64]int64
	// AtZero are web orders miniShop2 4.4.1 left at status 0: Sent's last,
	// and one placed after the extra was switched off, with no deal.
	AtZero []int64
	// Form is the resource whose FormIt call names the extra's hook.
	Form int64
}

// BuildExtraShop writes, through e, the shop's life with the extra: the
// admin's settings (account, credentials, pipeline, auto-updated
// pipelines, a category rule to wholesale, the simpleQueue off), the code
// exchange, the status map the extra fills by name in both pipelines, the
// customers' orders it sent and the status changes it followed, a form
// calling its hook, and the orders miniShop2 4.4.1 left at status 0. The
// amoCRM side (e.BaseURL) must have pipelines main and wholesale with
// statuses named as the shop's (Новый, Оплачен, Отправлен, Отменён).
func BuildExtraShop(ctx context.Context, e *Extra, auth ExtraAuth, main, wholesale int64, now time.Time) (*ExtraShop, error) {
	x := &ExtraShop{Deals: map[int64]int64{}, Contacts: map[int64]int64{}}
	db, o := e.DB, e.Shop
	var err error
	if x.Admin, err = InsertUser(ctx, db, o, UserSpec{Username: "admin", Email: "admin@shop.test", Sudo: true, CreatedOn: now.AddDate(-2, 0, 0)}); err != nil {
		return nil, err
	}
	if x.Category, err = InsertCategory(ctx, db, o, 0, "Опт"); err != nil {
		return nil, err
	}
	product, err := InsertProduct(ctx, db, o, ProductSpec{Parent: x.Category, Title: "Ящик кроссовок", Price: "30000.00"})
	if err != nil {
		return nil, err
	}
	settings := map[string]string{
		"amocrm_account": auth.Account, "amocrm_client_id": auth.ClientID, "amocrm_client_secret": auth.ClientSecret,
		"amocrm_client_code": auth.Code, "amocrm_pipeline_id": strconv.FormatInt(main, 10), "amocrm_auto_update_pipelines": "1",
		"amocrm_categories_pipelines": fmt.Sprintf(`{"%d":{"pipeline_id":%d}}`, x.Category, wholesale),
	}
	for _, k := range sortedKeys(settings) {
		if err := SetSetting(ctx, db, o, k, settings[k]); err != nil {
			return nil, err
		}
	}
	if err := e.Authorize(ctx, auth.ClientID, auth.ClientSecret, auth.Code, auth.RedirectURI, now); err != nil {
		return nil, err
	}
	for _, p := range []int64{main, wholesale} {
		if err := e.MapStatuses(ctx, p); err != nil {
			return nil, err
		}
	}
	if x.Maria, err = InsertUser(ctx, db, o, UserSpec{Username: "maria", FullName: "Мария Иванова", Email: "maria@mail.ru",
		Phone: "+7 911 000-00-01", CreatedOn: now.AddDate(-1, 0, 0)}); err != nil {
		return nil, err
	}
	ivan := map[string]any{"receiver": "Иван Петров", "phone": "+7 900 555-00-11", "email": "ivan@mail.ru"}
	maria := map[string]any{"receiver": "Мария Иванова", "phone": "+7 911 000-00-01", "email": "maria@mail.ru"}
	statuses := Statuses(o)
	orders := []struct {
		spec     OrderSpec
		pipeline int64
		to       int64 // the status a manager moves it to later; 0: none
	}{
		{OrderSpec{Guest: true, Address: ivan, CreatedOn: now.Add(-72 * time.Hour)}, main, statuses.Paid},
		{OrderSpec{UserID: x.Maria, Address: maria, CreatedOn: now.Add(-48 * time.Hour)}, main, statuses.Sent},
		{OrderSpec{Guest: true, Address: ivan, CreatedOn: now.Add(-24 * time.Hour),
			Lines: []LineSpec{{ProductID: product, Name: "Ящик кроссовок", Price: "30000.00"}}}, wholesale, statuses.Cancelled},
		{OrderSpec{Guest: true, Unplaced: true, Address: ivan, CreatedOn: now.Add(-3 * time.Hour)}, main, 0},
	}
	for _, s := range orders {
		id, err := InsertOrder(ctx, db, o, s.spec)
		if err != nil {
			return nil, err
		}
		lead, contact, err := e.SendOrder(ctx, id, s.pipeline)
		if err != nil {
			return nil, err
		}
		var user int64
		if err := db.GetContext(ctx, &user, "SELECT user_id FROM `"+o.Prefix+"ms2_orders` WHERE id = ?", id); err != nil {
			return nil, err
		}
		x.Sent, x.Deals[id], x.Contacts[user] = append(x.Sent, id), lead, contact
		if s.spec.Guest {
			x.Ivan = user
		}
		if s.to != 0 {
			if err := e.ChangeStatus(ctx, id, s.to, x.Admin, s.spec.CreatedOn.Add(time.Hour)); err != nil {
				return nil, err
			}
		}
	}
	x.AtZero = []int64{x.Sent[len(x.Sent)-1]}
	after, err := InsertOrder(ctx, db, o, OrderSpec{UserID: x.Maria, Unplaced: true, Address: map[string]any{
		"receiver": "Мария Иванова", "phone": "+7 922 000-00-02", "email": "maria.new@mail.ru"}, CreatedOn: now.Add(-time.Hour)})
	if err != nil {
		return nil, err
	}
	x.AtZero = append(x.AtZero, after)
	x.Form, err = InsertElement(ctx, db, o, InResource, "Обратный звонок", FormItCall("amoCRMAddContact,FormItSaveForm"))
	return x, err
}
