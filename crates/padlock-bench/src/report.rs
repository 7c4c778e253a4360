//! One TSV line per row: benchmark, parameters, padlock's figure, rustls's figure, unit, and
//! the ratio last, oriented so that higher is better for padlock.

use std::io::Write;

/// A measured value, or none for a column that does not apply.
#[derive(Clone, Debug)]
pub enum Figure {
    Value(f64),
    /// Not applicable to this column (floor rows have one figure only).
    None,
}

impl Figure {
    fn text(&self) -> String {
        match self {
            Figure::Value(v) => format_value(*v),
            Figure::None => "-".into(),
        }
    }

    fn value(&self) -> Option<f64> {
        match self {
            Figure::Value(v) => Some(*v),
            _ => None,
        }
    }
}

/// Which way is better, which fixes how the ratio is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Rates: ratio = padlock / rustls.
    Higher,
    /// Costs (bytes, allocations): ratio = rustls / padlock.
    Lower,
}

/// One line of the report.
#[derive(Clone, Debug)]
pub struct Row {
    pub bench: &'static str,
    pub params: String,
    pub padlock: Figure,
    pub rustls: Figure,
    pub unit: &'static str,
    pub better: Better,
    /// Printed as a `# note:` line under the row.
    pub note: Option<String>,
}

impl Row {
    pub fn new(
        bench: &'static str,
        params: impl Into<String>,
        padlock: Figure,
        rustls: Figure,
        unit: &'static str,
        better: Better,
    ) -> Self {
        Self {
            bench,
            params: params.into(),
            padlock,
            rustls,
            unit,
            better,
            note: None,
        }
    }

    /// A floor row: one aws-lc-rs figure, in the padlock column; rustls and ratio are `-`.
    pub fn floor(params: impl Into<String>, value: f64, unit: &'static str) -> Self {
        Self::new(
            "floor",
            params,
            Figure::Value(value),
            Figure::None,
            unit,
            Better::Higher,
        )
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// The ratio, oriented so that > 1 means padlock is better.
    pub fn ratio(&self) -> Option<f64> {
        let (p, r) = (self.padlock.value()?, self.rustls.value()?);
        let ratio = match self.better {
            Better::Higher => p / r,
            Better::Lower => r / p,
        };
        // A negative figure (below the floor, by the floor's own noise) has no ratio.
        (ratio.is_finite() && ratio > 0.0).then_some(ratio)
    }

    fn line(&self) -> String {
        let ratio = match (&self.padlock, &self.rustls) {
            // A cost padlock does not pay at all (e.g. no allocations): infinitely better.
            (Figure::Value(p), Figure::Value(r))
                if self.better == Better::Lower && *p == 0.0 && *r > 0.0 =>
            {
                "inf".into()
            }
            (Figure::Value(_), Figure::Value(_)) => self
                .ratio()
                .map(|r| format!("{r:.2}"))
                .unwrap_or_else(|| "n/a".into()),
            (_, Figure::None) => "-".into(),
            _ => "n/a".into(),
        };
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            self.bench,
            self.params,
            self.padlock.text(),
            self.rustls.text(),
            self.unit,
            ratio
        )
    }
}

/// The column header, printed once before the first row.
pub const HEADER: &str = "# benchmark\tparams\tpadlock\trustls\tunit\tratio (>1: padlock better)";

/// Prints rows as they are produced, flushing so that a long run shows progress.
pub struct Printer {
    out: std::io::Stdout,
}

impl Printer {
    pub fn new() -> Self {
        let p = Self {
            out: std::io::stdout(),
        };
        p.raw(HEADER);
        p
    }

    pub fn row(&self, row: &Row) {
        self.raw(&row.line());
        if let Some(note) = &row.note {
            self.raw(&format!("# note: {note}"));
        }
    }

    pub fn rows(&self, rows: &[Row]) {
        for r in rows {
            self.row(r);
        }
    }

    pub fn comment(&self, text: &str) {
        self.raw(&format!("# {text}"));
    }

    fn raw(&self, line: &str) {
        let mut out = self.out.lock();
        // A closed stdout (e.g. piped into `head`) ends the output, not the benchmark.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

impl Default for Printer {
    fn default() -> Self {
        Self::new()
    }
}

/// Four significant figures or so, without exponent notation.
pub fn format_value(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// Reads several runs' output and prints one Markdown row per benchmark row: the medians of
/// padlock's and rustls's figures and the median of the per-run ratios (each run's ratio
/// compares figures measured side by side, so its median is the steadier comparison).
pub fn median_table(files: &[std::path::PathBuf]) {
    let mut order: Vec<(String, String, String)> = Vec::new();
    let mut values: std::collections::HashMap<(String, String), [Vec<f64>; 3]> =
        std::collections::HashMap::new();
    let mut text_ratio: std::collections::HashMap<(String, String), String> =
        std::collections::HashMap::new();
    for f in files {
        let text = std::fs::read_to_string(f).expect("a run's output");
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let fields: Vec<&str> = line.split('\t').collect();
            let [bench, params, p, r, unit, ratio] = fields[..] else {
                continue;
            };
            let key = (bench.to_string(), params.to_string());
            if !values.contains_key(&key) {
                order.push((bench.into(), params.into(), unit.into()));
            }
            let slot = values.entry(key.clone()).or_default();
            for (i, v) in [p, r, ratio].iter().enumerate() {
                if let (Ok(x), Some(s)) = (v.parse::<f64>(), slot.get_mut(i)) {
                    s.push(x);
                }
            }
            if ratio.parse::<f64>().is_err() {
                text_ratio.insert(key, ratio.to_string());
            }
        }
    }
    println!("| benchmark | parameters | padlock | rustls | unit | padlock vs rustls |");
    println!("|---|---|---:|---:|---|---:|");
    for (bench, params, unit) in order {
        let key = (bench.clone(), params.clone());
        let Some([p, r, ratio]) = values.remove(&key) else {
            continue;
        };
        let show = |v: Vec<f64>| median(v).map(format_value).unwrap_or_else(|| "n/a".into());
        // Rows with one figure (the floor's, a budget) print `-` for rustls.
        let r_text = if r.is_empty() { "-".into() } else { show(r) };
        let ratio_text = match median(ratio) {
            Some(x) => format!("{x:.2}"),
            None => text_ratio.get(&key).cloned().unwrap_or_else(|| "-".into()),
        };
        println!(
            "| {bench} | {params} | {} | {r_text} | {unit} | {ratio_text} |",
            show(p)
        );
    }
}
