//! The run-stopping errors of warmly and the exit codes they map to.
//!
//! Per-recipient failures are not errors of this kind: they are counted in
//! the report while the run goes on (see `run.rs`). An [`Error`] means bad
//! input or configuration, found before anything is written (exit 2).

use std::fmt;
use std::path::{Path, PathBuf};

/// Exit codes (DESIGN.md): everything produced.
pub const EXIT_OK: u8 = 0;
/// Some recipients failed, the rest were produced.
pub const EXIT_PARTIAL: u8 = 1;
/// Bad input or configuration; nothing was produced.
pub const EXIT_BAD_INPUT: u8 = 2;

/// A position in an input file, 1-based, for messages like `file:line:column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: Option<u64>,
    pub column: Option<u64>,
}

impl Location {
    pub fn file(file: &Path) -> Self {
        Self {
            file: file.to_path_buf(),
            line: None,
            column: None,
        }
    }

    pub fn at(file: &Path, line: u64, column: Option<u64>) -> Self {
        Self {
            file: file.to_path_buf(),
            line: Some(line),
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        Ok(())
    }
}

/// How bad a problem found in the input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Stops a render before anything is written (exit 2).
    Error,
    /// Reported; the run goes on.
    Warning,
}

/// One thing wrong (or worth knowing) in the input, with where it is.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Problem {
    pub severity: Severity,
    /// `file:line:column` when known.
    #[serde(serialize_with = "location_text")]
    pub at: Option<Location>,
    pub message: String,
    pub hint: Option<String>,
    /// Problems of one kind (`duplicate`, `postcode`, …) are summarised
    /// in the terminal: a count and the first few.
    #[serde(skip)]
    pub kind: &'static str,
}

fn location_text<S: serde::Serializer>(
    at: &Option<Location>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match at {
        Some(at) => s.serialize_some(&at.to_string()),
        None => s.serialize_none(),
    }
}

impl Problem {
    pub fn error(at: Location, message: impl Into<String>, hint: Option<&str>) -> Problem {
        Problem {
            severity: Severity::Error,
            at: Some(at),
            message: message.into(),
            hint: hint.map(str::to_string),
            kind: "",
        }
    }

    pub fn warning(at: Option<Location>, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Warning,
            at,
            message: message.into(),
            hint: None,
            kind: "",
        }
    }

    /// Marks a problem that can repeat row after row.
    pub fn of_kind(mut self, kind: &'static str) -> Problem {
        self.kind = kind;
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{at}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

/// An error that stops the run before anything is written.
#[derive(Debug)]
pub enum Error {
    /// Several problems in the data, all reported at once.
    Problems(Vec<Problem>),
    /// A data file (people, history) is malformed at a known place.
    Input {
        at: Location,
        message: String,
        hint: Option<String>,
    },
    /// The campaign, the command line or a template is wrong.
    Config {
        message: String,
        hint: Option<String>,
    },
    /// Reading a file or writing an output failed.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Error {
    pub fn input(at: Location, message: impl Into<String>) -> Self {
        Error::Input {
            at,
            message: message.into(),
            hint: None,
        }
    }

    pub fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
            hint: None,
        }
    }

    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Attaches a "what to do" line to the error.
    pub fn with_hint(mut self, text: impl Into<String>) -> Self {
        match &mut self {
            Error::Input { hint, .. } | Error::Config { hint, .. } => *hint = Some(text.into()),
            Error::Io { .. } | Error::Problems(_) => {}
        }
        self
    }

    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Input { hint, .. } | Error::Config { hint, .. } => hint.as_deref(),
            Error::Problems(problems) => problems.first().and_then(|p| p.hint.as_deref()),
            Error::Io { .. } => None,
        }
    }

    pub fn exit_code(&self) -> u8 {
        EXIT_BAD_INPUT
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input { at, message, .. } => write!(f, "{at}: {message}"),
            Error::Config { message, .. } => write!(f, "{message}"),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Problems(problems) => {
                let mut first = true;
                for p in problems.iter().filter(|p| p.severity == Severity::Error) {
                    if !first {
                        write!(f, "\nerror: ")?;
                    }
                    write!(f, "{p}")?;
                    if let (false, Some(hint)) = (first, &p.hint) {
                        write!(f, "\nhint: {hint}")?;
                    }
                    first = false;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
