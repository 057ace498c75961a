//! `warmly insights CAMPAIGN`: who are we losing? From the campaign's
//! people, history and ledger: how many customers are in each segment,
//! the customers at risk ranked by value with the days since their last
//! order against their own rhythm, and — for every campaign of the state
//! folder that kept a control group — whether the pieces brought
//! customers back. `--write-campaign` writes a win-back campaign for them
//! (`win_back.rs`). The studio's "Who are we losing?" shows the same
//! report ([`report_of`]).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::args::{InsightsArgs, RenderArgs};
use crate::error::{Error, Result};
use crate::insights::rhythm::is_order;
use crate::insights::segment::Limits;
use crate::insights::{Comparison, Observation, Params, Segment, Summary, RULES};
use crate::mode::{self, Mode};
use crate::outln;
use crate::plan::{self, Plan};
use crate::settings::Settings;

/// The report (also `--json` and the studio's page).
#[derive(Debug, Clone, Serialize)]
pub struct Insights {
    pub campaign: String,
    pub date: String,
    /// Everyone in the people file, and those with an order.
    pub people: usize,
    pub buyers: usize,
    /// How rhythms are judged (the campaign's `lapsing` rule, else the defaults).
    pub rule: Params,
    /// Where F and M change among these customers.
    pub limits: Limits,
    /// Every segment with how many are in it, in report order.
    pub segments: Vec<SegmentCount>,
    /// `at_risk` and `cant_lose`, by value (then by silence).
    pub at_risk: Vec<AtRisk>,
    /// Of them, how many have passed their lapsing threshold.
    pub lapsing: usize,
    /// The value of their orders so far.
    pub value_at_risk: f64,
    /// Of them, how many opted out of mail (no letter reaches them).
    pub opted_out: usize,
    /// Per campaign with a control group in the ledger.
    pub control: Vec<Effect>,
}

/// One segment of the report.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentCount {
    pub segment: Segment,
    pub label: &'static str,
    pub count: usize,
    pub who: &'static str,
}

/// A customer at risk.
#[derive(Debug, Clone, Serialize)]
pub struct AtRisk {
    pub id: String,
    pub name: String,
    /// The people file says no mail: a win-back leaves them out, so the
    /// owner knows to call rather than write.
    pub opted_out: bool,
    #[serde(flatten)]
    pub summary: Summary,
}

/// Letters against the control group of one campaign.
#[derive(Debug, Clone, Serialize)]
pub struct Effect {
    pub campaign: String,
    #[serde(flatten)]
    pub comparison: Comparison,
    /// The comparison in words.
    pub words: String,
}

/// `warmly insights`: the report as text or JSON, and the win-back
/// campaign when asked for.
pub fn run(args: &InsightsArgs) -> Result<u8> {
    let render_args = RenderArgs {
        campaign: Some(args.campaign.clone()),
        date: args.date.clone(),
        state: args.state.clone(),
        dry_run: true,
        ..RenderArgs::default()
    };
    let within = crate::occasion::parse_window(&args.within)
        .map_err(|e| Error::config(format!("--within: {e}")))?;
    let settings = mode::settings(&render_args, &Mode::DryRun)?;
    let report = report(&settings, within)?;
    if args.json {
        let json = serde_json::to_string_pretty(&report).expect("the report is plain data");
        outln!("{json}");
    } else {
        print(&report, args.top, &args.campaign.display().to_string());
    }
    if let Some(path) = &args.write_campaign {
        let written = super::win_back::write(&settings, path)?;
        crate::errln!("{}", written.describe());
    }
    Ok(crate::error::EXIT_OK)
}

/// The report of a campaign on its run date, re-orders counted `within`
/// days after each piece.
pub fn report(settings: &Settings, within: i64) -> Result<Insights> {
    let plan = plan::prepare(settings, &Mode::DryRun)?;
    Ok(report_of(settings, &plan, within))
}

/// The report from a plan already made (the studio's).
pub fn report_of(settings: &Settings, plan: &Plan, within: i64) -> Insights {
    let date = settings.run.date;
    // A campaign that is not about segments has not measured them.
    let scale = plan
        .scale
        .clone()
        .or_else(|| plan::measure(settings, &plan.persons));
    let params = scale.as_ref().map(|s| s.params).unwrap_or_default();
    let mut counts: BTreeMap<Segment, usize> = BTreeMap::new();
    let mut at_risk = Vec::new();
    let mut orders: HashMap<String, Vec<NaiveDate>> = HashMap::new();
    for person in plan.persons.iter() {
        let Some(summary) = scale
            .as_ref()
            .and_then(|s| s.profile(&person.events).map(|p| p.summary(&s.params)))
        else {
            continue;
        };
        *counts.entry(summary.segment).or_default() += 1;
        let mut dates: Vec<NaiveDate> = person
            .events
            .iter()
            .filter(|e| is_order(e))
            .map(|e| e.date)
            .collect();
        dates.sort_unstable();
        if summary.segment.at_risk() {
            at_risk.push(AtRisk {
                opted_out: crate::select::is_opt_out(person.get("opt_out")),
                name: person.display_name(),
                id: person.id.clone(),
                summary,
            });
        }
        orders.insert(person.id, dates);
    }
    at_risk.sort_by(|a, b| {
        (b.summary.total, b.summary.days_silent, &a.id)
            .partial_cmp(&(a.summary.total, a.summary.days_silent, &b.id))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Insights {
        campaign: settings.run.name.clone(),
        date: date.to_string(),
        people: plan.persons.len(),
        buyers: scale.as_ref().map_or(0, |s| s.buyers()),
        rule: params,
        limits: scale.as_ref().map_or(
            Limits {
                f2: None,
                f3: None,
                m2: None,
                m3: None,
            },
            |s| s.limits(),
        ),
        segments: segment_counts(&counts),
        lapsing: at_risk.iter().filter(|a| a.summary.lapsing).count(),
        opted_out: at_risk.iter().filter(|a| a.opted_out).count(),
        value_at_risk: (at_risk.iter().map(|a| a.summary.total).sum::<f64>() * 100.0).round()
            / 100.0,
        at_risk,
        control: effects(plan, &orders, within, date),
    }
}

/// Every segment with its count and who it is, in report order.
fn segment_counts(counts: &BTreeMap<Segment, usize>) -> Vec<SegmentCount> {
    Segment::ALL
        .iter()
        .map(|&segment| SegmentCount {
            segment,
            label: segment.label(),
            count: counts.get(&segment).copied().unwrap_or(0),
            who: RULES
                .iter()
                .find(|r| r.segment == segment)
                .map_or("", |r| r.who),
        })
        .collect()
}

/// For every campaign of the ledger that kept a control group: its
/// letters and its control lines, each with the customer's first order
/// after the run date, compared.
fn effects(
    plan: &Plan,
    orders: &HashMap<String, Vec<NaiveDate>>,
    within: i64,
    today: NaiveDate,
) -> Vec<Effect> {
    let Some(ledger) = &plan.ledger else {
        return Vec::new();
    };
    let mut by_campaign: BTreeMap<&str, Vec<Observation>> = BTreeMap::new();
    for entry in ledger.entries() {
        let next_order = orders.get(&entry.person_id).and_then(|dates| {
            let i = dates.partition_point(|d| *d <= entry.run_date);
            dates.get(i).copied()
        });
        by_campaign
            .entry(entry.campaign.as_str())
            .or_default()
            .push(Observation {
                arm: match entry.is_control() {
                    true => crate::insights::control::Arm::Control,
                    false => crate::insights::control::Arm::Letters,
                },
                sent: entry.run_date,
                next_order,
            });
    }
    let with_control = ledger
        .entries()
        .iter()
        .filter(|e| e.is_control())
        .map(|e| e.campaign.as_str())
        .collect::<std::collections::BTreeSet<&str>>();
    by_campaign
        .into_iter()
        .filter(|(campaign, _)| with_control.contains(campaign))
        .map(|(campaign, observations)| {
            let comparison = Comparison::of(&observations, within, today);
            Effect {
                campaign: campaign.to_string(),
                words: comparison.describe(),
                comparison,
            }
        })
        .collect()
}

/// The report for people, on stdout.
pub fn print(report: &Insights, top: usize, campaign_file: &str) {
    let rule = &report.rule;
    outln!(
        "Who are we losing? {} customers of {} on {}, {} with an order.",
        report.people,
        report.campaign,
        report.date,
        report.buyers
    );
    outln!(
        "A customer lapses after {} × their usual interval (with {} orders or more), else after {} days without an order.",
        rule.multiple,
        rule.min_orders,
        rule.days
    );
    outln!("");
    outln!("Segments (scores 1–3: recency against their own rhythm, frequency, money; docs/guide/insights.md):");
    for s in &report.segments {
        outln!("  {:<12} {:>5}  {}", s.label, s.count, s.who);
    }
    print_limits(&report.limits);
    outln!("");
    print_at_risk(report, top);
    outln!("");
    outln!("Do the pieces bring customers back?");
    if report.control.is_empty() {
        outln!("  no control group yet: `[select] control = 10` in a campaign keeps one in ten due out of the mail, to compare later");
    }
    for effect in &report.control {
        outln!("  {}: {}", effect.campaign, effect.words);
    }
    outln!("");
    outln!(
        "A win-back campaign for them, in one command: warmly insights {campaign_file} --write-campaign win-back.toml"
    );
}

/// Where F and M change, in words.
fn print_limits(limits: &Limits) {
    let from = |v: Option<String>| v.map_or("nobody".to_string(), |v| format!("from {v}"));
    let mut line = format!(
        "  F 2 {} orders, F 3 {}",
        from(limits.f2.map(|n| n.to_string())),
        from(limits.f3.map(|n| n.to_string()))
    );
    match (limits.m2, limits.m3) {
        (None, None) => line.push_str("; M is F (the history has no amounts)"),
        (m2, m3) => line.push_str(&format!(
            "; M 2 {} in orders, M 3 {}",
            from(m2.map(|v| format!("{v:.2}"))),
            from(m3.map(|v| format!("{v:.2}")))
        )),
    }
    outln!("{line}");
}

/// The customers at risk, as a table.
fn print_at_risk(report: &Insights, top: usize) {
    if report.at_risk.is_empty() {
        outln!("At risk: nobody.");
        return;
    }
    outln!(
        "At risk, by value: {} customer(s) with {:.2} in orders so far, {} of them lapsing now:",
        report.at_risk.len(),
        report.value_at_risk,
        report.lapsing
    );
    if report.opted_out > 0 {
        outln!(
            "  {} of them opted out of mail: no letter goes to them, a call might.",
            report.opted_out
        );
    }
    outln!(
        "  {:<10} {:<26} {:<11} {:>6}  {:<12} {:<10} {:>7} {:>6} {:>11}",
        "ID",
        "NAME",
        "SEGMENT",
        "ORDERS",
        "USUALLY",
        "LAST",
        "SILENT",
        "×",
        "VALUE"
    );
    for a in report.at_risk.iter().take(top) {
        let s = &a.summary;
        let usually = match (s.interval_days, s.spread_days) {
            (Some(i), Some(sp)) => format!("{i} d ±{sp}"),
            _ => "—".to_string(),
        };
        let name: String = a.name.chars().take(26).collect();
        outln!(
            "  {:<10} {:<26} {:<11} {:>6}  {:<12} {:<10} {:>5} d {:>6} {:>11.2}{}",
            a.id,
            name,
            s.segment.label(),
            s.orders,
            usually,
            s.last_order,
            s.days_silent,
            s.ratio.map_or("—".to_string(), |r| format!("{r:.1}")),
            s.total,
            match (s.lapsing, a.opted_out) {
                (true, true) => "  lapsing, opted out",
                (true, false) => "  lapsing",
                (false, true) => "  opted out",
                (false, false) => "",
            }
        );
    }
    if report.at_risk.len() > top {
        outln!(
            "  … and {} more (--top {} or --json)",
            report.at_risk.len() - top,
            report.at_risk.len()
        );
    }
}
