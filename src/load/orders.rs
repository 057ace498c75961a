//! Orders exports as history. A shop writes an order as several rows
//! (Shopify: one per line item, the order's own fields only on the first)
//! or as one row with its items in a cell (WooCommerce's `line_items`);
//! either way an order is ONE event of kind `order` on the day it was
//! placed, with `amount` (the order's total), `products` ("Esstisch
//! Nussbaum, 2 × Stuhl Eiche", also its `summary`), `order` (#1001),
//! `items` and `currency`. Orders that were cancelled, refunded or failed
//! are not orders a customer made: they are left out and counted.
//!
//! The result is a table of its own, one row per order at the line where
//! the order starts, with the columns the history mapping knows
//! (`customer_id`, `email`, `date`, `kind`, `summary`, `amount`), so the
//! join and the events work as for any history.

use std::collections::BTreeMap;
use std::path::Path;

use indexmap::IndexMap;

use super::columns::normalize;
use super::read::{Rows, Table};
use super::sources::Source;
use crate::error::{Error, Location, Result};

/// What became of an orders export's rows.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct OrdersReport {
    /// Rows read (Shopify: line items).
    pub rows: usize,
    /// Orders kept as events.
    pub orders: usize,
    /// Orders left out: cancelled, refunded, failed.
    pub left_out: usize,
    /// Left out by status (`cancelled`, `refunded`, `failed`, …).
    pub left_out_by: BTreeMap<String, usize>,
    /// Column of the orders table → the export's header(s) it is read from.
    #[serde(skip)]
    pub origin: Vec<(String, String)>,
}

const HEADERS: [&str; 10] = [
    "order",
    "customer_id",
    "email",
    "date",
    "kind",
    "summary",
    "amount",
    "products",
    "items",
    "currency",
];

/// WooCommerce statuses of orders a customer did not make (with or
/// without the `wc-` of the database).
const NOT_ORDERS: [&str; 5] = ["cancelled", "refunded", "failed", "trash", "checkout-draft"];

/// One order, gathered from its rows.
#[derive(Debug, Default)]
struct Order {
    line: u64,
    customer_id: String,
    email: String,
    date: String,
    amount: String,
    currency: String,
    items: Vec<(String, String)>,
    /// Why it is not an order a customer made, if it is not.
    void: Option<String>,
}

/// Groups the rows of a Shopify or WooCommerce orders export into orders.
/// The report's `origin` says which of the export's headers each column
/// of the new table comes from.
pub fn group(path: &Path, table: Table, source: Source) -> Result<(Table, OrdersReport)> {
    let (key, c) = Columns::find(path, &table.headers, source)?;
    let mut orders: IndexMap<String, Order> = IndexMap::new();
    for row in table.rows.iter() {
        let name = row.get(key).trim().to_string();
        let order = orders.entry(name).or_insert_with(|| Order {
            line: row.line,
            ..Order::default()
        });
        c.add(&row, order);
    }
    let mut report = OrdersReport {
        rows: table.rows.len(),
        origin: c.origin(&table.headers, key),
        ..OrdersReport::default()
    };
    let mut rows = Rows::default();
    for (name, order) in &orders {
        match &order.void {
            Some(why) => {
                report.left_out += 1;
                *report.left_out_by.entry(why.clone()).or_default() += 1;
            }
            None => {
                report.orders += 1;
                order_row(&mut rows, name, order, c.customer.is_some());
            }
        }
    }
    let headers = HEADERS
        .iter()
        .filter(|h| **h != "customer_id" || c.customer.is_some());
    let table = Table {
        headers: headers.map(|h| h.to_string()).collect(),
        rows,
        format: table.format,
    };
    Ok((table, report))
}

/// One order as a row under [`HEADERS`]; without a customer number
/// column (Shopify) the join says it goes by e-mail alone.
fn order_row(rows: &mut Rows, name: &str, order: &Order, with_customer: bool) {
    let products = products(&order.items);
    let summary = if products.is_empty() {
        name.to_string()
    } else {
        products.clone()
    };
    let count: f64 = order.items.iter().map(|(q, _)| quantity(q)).sum();
    let cells: [&str; 10] = [
        name,
        &order.customer_id,
        &order.email,
        &order.date,
        "order",
        &summary,
        &order.amount,
        &products,
        &format_quantity(count),
        &order.currency,
    ];
    let cells = cells.iter().enumerate();
    let cells = cells.filter(|(i, _)| *i != 1 || with_customer);
    rows.push(order.line, cells.map(|(_, cell)| *cell));
}

/// Where an export keeps what an order needs.
struct Columns {
    email: Option<usize>,
    customer: Option<usize>,
    date: usize,
    total: Option<usize>,
    currency: Option<usize>,
    cancelled: Option<usize>,
    status: Option<usize>,
    line_items: Option<usize>,
    item: Option<usize>,
    quantity: Option<usize>,
}

impl Columns {
    /// The export's columns: the order's name or number (the key) and
    /// the date are needed, the rest is read where it is there.
    fn find(path: &Path, headers: &[String], source: Source) -> Result<(usize, Columns)> {
        let normalized: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
        let col = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| normalized.iter().position(|h| h == n))
        };
        let need = |names: &[&str], what: &str| {
            col(names).ok_or_else(|| {
                let message = format!(
                    "the orders export has no {what} column ({})",
                    names.join(", ")
                );
                Error::input(Location::at(path, 1, None), message)
                    .with_hint("export the orders again with all columns")
            })
        };
        let shopify = source == Source::ShopifyOrders;
        let key = match shopify {
            true => need(&["name"], "order name")?,
            false => need(&["order_id", "order_number"], "order number")?,
        };
        let columns = Columns {
            email: col(&["email", "customer_email", "billing_email"]),
            customer: col(&["customer_id"]).filter(|_| !shopify),
            total: col(&["total", "order_total"]),
            currency: col(&["currency", "order_currency"]),
            cancelled: col(&["cancelled_at"]),
            status: col(&["status", "order_status"]).filter(|_| !shopify),
            line_items: col(&["line_items"]),
            item: col(&["lineitem_name", "item_name", "product_name"]),
            quantity: col(&["lineitem_quantity", "item_quantity", "quantity", "qty"]),
            date: need(&["created_at", "order_date", "date"], "date")?,
        };
        Ok((key, columns))
    }

    /// Which header each column of the orders table comes from.
    fn origin(&self, headers: &[String], key: usize) -> Vec<(String, String)> {
        let name = |c: Option<usize>| c.map(|c| headers[c].clone());
        let items = match (self.line_items, self.item, self.quantity) {
            (Some(c), ..) => Some(headers[c].clone()),
            (None, Some(i), Some(q)) => Some(format!("{} × {}", headers[q], headers[i])),
            (None, i, _) => name(i),
        };
        let pairs = [
            ("order", Some(headers[key].clone())),
            ("customer_id", name(self.customer)),
            ("email", name(self.email)),
            ("date", Some(headers[self.date].clone())),
            ("kind", Some("(every order)".to_string())),
            ("summary", items.clone()),
            ("amount", name(self.total)),
            ("products", items),
            ("currency", name(self.currency)),
        ];
        pairs
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?)))
            .collect()
    }

    /// Adds one row to its order: the order's fields from the first row
    /// that has them, the row's items.
    fn add(&self, row: &super::read::Row<'_>, order: &mut Order) {
        let get = |c: Option<usize>| c.map(|c| row.get(c).trim()).unwrap_or("");
        let fill = |field: &mut String, value: &str| {
            if field.is_empty() {
                *field = value.to_string();
            }
        };
        fill(&mut order.email, get(self.email));
        // a guest's customer number is 0: nobody's
        let customer = get(self.customer);
        let customer = if customer.bytes().all(|b| b == b'0') {
            ""
        } else {
            customer
        };
        fill(&mut order.customer_id, customer);
        fill(&mut order.date, get(Some(self.date)));
        fill(&mut order.amount, get(self.total));
        fill(&mut order.currency, get(self.currency));
        if !get(self.cancelled).is_empty() {
            order.void = Some("cancelled".into());
        }
        let status = get(self.status).to_lowercase();
        let status = status.trim_start_matches("wc-");
        if NOT_ORDERS.contains(&status) {
            order.void = Some(status.to_string());
        }
        match (get(self.line_items), get(self.item)) {
            (items, _) if !items.is_empty() => order.items.extend(line_items(items)),
            (_, item) if !item.is_empty() => {
                let q = get(self.quantity);
                order.items.push((
                    if q.is_empty() { "1" } else { q }.to_string(),
                    item.to_string(),
                ));
            }
            _ => {}
        }
    }
}

/// WooCommerce's `line_items`: `name:Esstisch|quantity:1|total:1890.00`,
/// items separated by `;`.
fn line_items(cell: &str) -> Vec<(String, String)> {
    cell.split(';')
        .filter_map(|item| {
            let fields: IndexMap<&str, &str> = item
                .split('|')
                .filter_map(|f| f.split_once(':'))
                .map(|(k, v)| (k.trim(), v.trim()))
                .collect();
            let name = fields.get("name").copied().filter(|n| !n.is_empty())?;
            Some((
                fields.get("quantity").copied().unwrap_or("1").to_string(),
                name.to_string(),
            ))
        })
        .collect()
}

fn quantity(q: &str) -> f64 {
    q.trim().replace(',', ".").parse().unwrap_or(1.0)
}

fn format_quantity(q: f64) -> String {
    if q.fract() == 0.0 {
        format!("{}", q as i64)
    } else {
        format!("{q}")
    }
}

/// "Esstisch Nussbaum, 2 × Stuhl Eiche": a quantity only where it is not 1.
fn products(items: &[(String, String)]) -> String {
    items
        .iter()
        .map(|(q, name)| {
            let q = quantity(q);
            if q == 1.0 {
                name.clone()
            } else {
                format!("{} × {name}", format_quantity(q))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_and_quantities_read_as_people_write_them() {
        let items = line_items("name:Esstisch Nussbaum|quantity:1|total:1890.00;name:Stuhl Eiche|quantity:2|total:380.00");
        assert_eq!(products(&items), "Esstisch Nussbaum, 2 × Stuhl Eiche");
        assert_eq!(products(&[("1.5".into(), "Holzöl".into())]), "1.5 × Holzöl");
    }

    #[test]
    fn an_export_with_a_row_per_item_gives_one_order_each() {
        let headers = "order_id,order_date,status,order_total,customer_id,billing_email,item_name,item_quantity";
        let mut rows = Rows::default();
        rows.push(
            2,
            "7,2026-11-02,wc-completed,2270.00,0,a@example.de,Esstisch,1".split(','),
        );
        rows.push(
            3,
            "7,2026-11-02,wc-completed,2270.00,0,a@example.de,Stuhl,2".split(','),
        );
        rows.push(
            4,
            "8,2026-11-03,wc-cancelled,59.00,12,b@example.de,Brett,1".split(','),
        );
        let table = Table {
            headers: headers.split(',').map(str::to_string).collect(),
            rows,
            format: crate::load::Format {
                kind: "CSV".into(),
                encoding: None,
                delimiter: None,
                sheet: None,
                detail: None,
            },
        };
        let (orders, report) = group(Path::new("o.csv"), table, Source::WoocommerceOrders).unwrap();
        assert_eq!((report.rows, report.orders, report.left_out), (3, 1, 1));
        assert_eq!(report.left_out_by["cancelled"], 1);
        let row = orders.rows.get(0);
        assert_eq!(row.line, 2);
        // order, customer (a guest: none), e-mail, date, kind, summary, amount
        assert_eq!(
            &row.cells()[..7],
            [
                "7",
                "",
                "a@example.de",
                "2026-11-02",
                "order",
                "Esstisch, 2 × Stuhl",
                "2270.00"
            ]
        );
    }
}
