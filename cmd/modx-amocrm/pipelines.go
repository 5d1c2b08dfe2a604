package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// accountMeta is what `pipelines` shows: every id a config may need.
type accountMeta struct {
	Account       crm.Account       `json:"account"`
	Pipelines     []crm.Pipeline    `json:"pipelines"`
	Users         []crm.User        `json:"users"`
	LeadFields    []crm.CustomField `json:"lead_fields"`
	ContactFields []crm.CustomField `json:"contact_fields"`
}

// runPipelines lists pipelines, statuses, users and fields with their ids.
func runPipelines(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("pipelines", io)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object instead of tables")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	s, err := loadSite(*configPath)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.OpenClient(ctx); err != nil {
		return err
	}
	meta, err := fetchAccountMeta(ctx, s.Client)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(io.Stdout, meta)
	}
	return printAccountMeta(io.Stdout, meta)
}

func fetchAccountMeta(ctx context.Context, c *amocrm.Client) (accountMeta, error) {
	var m accountMeta
	var err error
	if m.Account, err = c.Account(ctx); err != nil {
		return m, fmt.Errorf("read account: %w", err)
	}
	if m.Pipelines, err = c.Pipelines(ctx); err != nil {
		return m, fmt.Errorf("read pipelines: %w", err)
	}
	if m.Users, err = c.Users(ctx); err != nil {
		return m, fmt.Errorf("read users: %w", err)
	}
	if m.LeadFields, err = c.LeadFields(ctx); err != nil {
		return m, fmt.Errorf("read deal fields: %w", err)
	}
	if m.ContactFields, err = c.ContactFields(ctx); err != nil {
		return m, fmt.Errorf("read contact fields: %w", err)
	}
	return m, nil
}

func printAccountMeta(w io.Writer, m accountMeta) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Account %s (id %d, %s)\n", m.Account.Name, m.Account.ID, m.Account.Subdomain)

	fmt.Fprintln(tw, "\nPIPELINE\tSTATUS\tNAME\tNOTE")
	for _, p := range m.Pipelines {
		fmt.Fprintf(tw, "%d\t\t%s\t%s\n", p.ID, p.Name, pipelineNote(p))
		for _, st := range p.Statuses() {
			fmt.Fprintf(tw, "%d\t%d\t  %s\t%s\n", p.ID, st.ID, st.Name, statusNote(st))
		}
	}

	fmt.Fprintln(tw, "\nUSER\tNAME\tEMAIL")
	for _, u := range m.Users {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", u.ID, u.Name, u.Email)
	}

	for _, section := range []struct {
		title  string
		fields []crm.CustomField
	}{{"DEAL FIELD", m.LeadFields}, {"CONTACT FIELD", m.ContactFields}} {
		fmt.Fprintf(tw, "\n%s\tNAME\tTYPE\tCODE\tENUMS\n", section.title)
		if len(section.fields) == 0 {
			fmt.Fprintln(tw, "(none)")
		}
		for _, f := range section.fields {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", f.ID, f.Name, f.Type, f.Code, enumList(f.Enums))
		}
	}
	return tw.Flush()
}

func pipelineNote(p crm.Pipeline) string {
	var notes []string
	if p.IsMain {
		notes = append(notes, "main")
	}
	if p.IsArchive {
		notes = append(notes, "archived")
	}
	return strings.Join(notes, ", ")
}

func statusNote(st crm.Status) string {
	switch {
	case st.ID == crm.StatusWon:
		return "won"
	case st.ID == crm.StatusLost:
		return "lost"
	case st.Type == crm.StatusTypeUnsorted:
		return "unsorted"
	}
	return ""
}

func enumList(enums []crm.Enum) string {
	parts := make([]string, len(enums))
	for i, e := range enums {
		parts[i] = fmt.Sprintf("%d=%s", e.ID, e.Value)
	}
	return strings.Join(parts, ", ")
}
