//! Reading entities from a file or standard input, one at a time, with their place in it.
//!
//! Backfills can be millions of records, so input is never held whole: a blocking reader
//! thread reads one record at a time and hands records over a bounded channel, in chunks,
//! which stops the reader while the consumer is busy. Three formats are read, told apart by how
//! the input starts: a JSON array (`[`), NDJSON (one JSON object per line; blank lines are
//! skipped), or a sequence of objects spread over lines (a first line that opens an object
//! without closing it, as `jq` writes them or as they are wrapped by hand). Each record comes
//! with the line where it starts (`file.ndjson:12`), so a bad one can be named. A malformed
//! NDJSON line is reported and the next lines are still read; in the other two formats a syntax
//! error ends the input, since nothing after it can be located reliably.
//! A UTF-8 byte-order mark at the start is skipped; UTF-16 input is refused.
//!
//! A record with a top-level field its type does not have is reported, not read: Jira's
//! schema admits no other fields on an incident or review, and dropping the field on the way
//! in would hide what the user wrote.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use tokio::sync::mpsc;

use crate::batch::EntityJson;

/// Where a record was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file name, or `<stdin>`.
    pub file: String,
    /// The 1-based line where the record starts.
    pub line: usize,
    /// The 1-based position of the record in the input.
    pub record: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One record of the input: the entity, or why it could not be read.
#[derive(Debug)]
pub enum Record<T> {
    /// A record that parsed.
    Entity {
        /// The entity.
        entity: T,
        /// Where it was.
        origin: Origin,
    },
    /// A record that did not parse.
    Malformed {
        /// Where it was.
        origin: Origin,
        /// Its `id` field, when the record was JSON with a string `id`.
        id: Option<String>,
        /// What is wrong, from the JSON parser.
        reason: String,
    },
    /// The input could not be read past this point (an I/O error, or a syntax error in a
    /// JSON array); the records before it were sent.
    Stopped {
        /// What stopped the reader.
        reason: String,
        /// Where.
        origin: Origin,
    },
}

/// How many chunks of records may wait in the channel: with [`CHUNK`], at most about a
/// thousand records are read ahead of the consumer.
const CHANNEL_DEPTH: usize = 4;

/// Reads `path` (`-` or `None` for standard input) on a blocking thread and sends each record.
pub fn read<T>(path: Option<&Path>) -> Records<T>
where
    T: DeserializeOwned + Send + 'static,
{
    spawn_reader(path, Typed(PhantomData))
}

/// As [`read`], handing each record over as its JSON, unparsed, for
/// `OperationsClient::submit_incidents_json_stream` and its review twin: an NDJSON line is
/// sent on as it is; an element of an array, or one of a sequence of objects, as its text.
/// Whether a record is a valid entity is then for the client to say.
pub fn read_json(path: Option<&Path>) -> Records<EntityJson> {
    spawn_reader(path, AsJson)
}

fn spawn_reader<D: Decode>(path: Option<&Path>, decode: D) -> Records<D::Output> {
    let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
    let path: Option<PathBuf> = path.filter(|p| p.as_os_str() != "-").map(Path::to_path_buf);
    std::thread::spawn(move || {
        let name = path
            .as_ref()
            .map_or("<stdin>".to_string(), |p| p.display().to_string());
        let source: io::Result<Box<dyn Read>> = match &path {
            Some(p) => std::fs::File::open(p).map(|f| Box::new(f) as Box<dyn Read>),
            None => Ok(Box::new(io::stdin())),
        };
        let tx = Outbox::new(tx);
        match source {
            Ok(reader) => read_with(
                BufReader::with_capacity(1 << 16, reader),
                &name,
                &tx,
                &decode,
            ),
            Err(e) => {
                let origin = Origin {
                    file: name,
                    line: 0,
                    record: 0,
                };
                let _ = tx.blocking_send(Record::Stopped {
                    reason: e.to_string(),
                    origin,
                });
            }
        }
    });
    Records {
        rx,
        chunk: Vec::new().into_iter(),
    }
}

/// The records of an input, in order, as a stream. The reader thread stays a bounded number
/// of records ahead of whoever consumes them.
#[derive(Debug)]
pub struct Records<T> {
    rx: mpsc::Receiver<Vec<Record<T>>>,
    chunk: std::vec::IntoIter<Record<T>>,
}

// Nothing of a `Records` is ever pinned in place: the records are moved out.
impl<T> Unpin for Records<T> {}

impl<T> futures::Stream for Records<T> {
    type Item = Record<T>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Record<T>>> {
        loop {
            if let Some(record) = self.chunk.next() {
                return std::task::Poll::Ready(Some(record));
            }
            match std::task::ready!(self.rx.poll_recv(cx)) {
                Some(chunk) => self.chunk = chunk.into_iter(),
                None => return std::task::Poll::Ready(None),
            }
        }
    }
}

/// Records per hand-over between the reader thread and the consumer.
const CHUNK: usize = 256;

/// Hands records over in chunks, since a wake-up of the consumer per record costs more than
/// reading the record. A chunk goes when it is full, or at once when the consumer has taken
/// everything sent so far, so that a slow input (a terminal, a pipe) is not held back. What is
/// left goes when the outbox is dropped.
struct Outbox<T> {
    tx: mpsc::Sender<Vec<Record<T>>>,
    chunk: RefCell<Vec<Record<T>>>,
}

impl<T> Outbox<T> {
    fn new(tx: mpsc::Sender<Vec<Record<T>>>) -> Self {
        Self {
            tx,
            chunk: RefCell::new(Vec::with_capacity(CHUNK)),
        }
    }

    /// Queues `record`; an error when nobody reads any more.
    fn blocking_send(&self, record: Record<T>) -> Result<(), Gone> {
        let mut chunk = self.chunk.borrow_mut();
        chunk.push(record);
        if chunk.len() < CHUNK && self.tx.capacity() < self.tx.max_capacity() {
            return Ok(());
        }
        let full = std::mem::replace(&mut *chunk, Vec::with_capacity(CHUNK));
        drop(chunk);
        self.tx.blocking_send(full).map_err(|_| Gone)
    }
}

impl<T> Drop for Outbox<T> {
    fn drop(&mut self) {
        let rest = std::mem::take(self.chunk.get_mut());
        if !rest.is_empty() {
            let _ = self.tx.blocking_send(rest);
        }
    }
}

/// The consumer of the records is gone.
#[derive(Debug)]
struct Gone;

/// How the reader makes records of what it finds.
trait Decode: Send + 'static {
    /// What a record carries.
    type Output: Send + 'static;
    /// What an element of an array, or a value of a sequence, is first read as.
    type Element: DeserializeOwned;

    /// The record of one NDJSON line, without its line end.
    fn line(&self, text: &[u8], origin: Origin) -> Record<Self::Output>;
    /// The record of one element or value.
    fn element(&self, element: Self::Element, origin: Origin) -> Record<Self::Output>;
}

/// Records parsed into `T`.
struct Typed<T>(PhantomData<fn() -> T>);

impl<T: DeserializeOwned + Send + 'static> Decode for Typed<T> {
    type Output = T;
    // Read as a JSON value first, so a value that is not an entity is reported and the next
    // ones are still read.
    type Element = serde_json::Value;

    fn line(&self, text: &[u8], origin: Origin) -> Record<T> {
        let mut de = serde_json::Deserializer::from_slice(text);
        let parsed = parse::<_, T>(&mut de).and_then(|entity| de.end().map(|()| entity));
        match parsed {
            Ok(Ok(entity)) => Record::Entity { entity, origin },
            Ok(Err(reason)) => malformed(text, origin, reason),
            Err(e) => malformed(text, origin, describe(&e)),
        }
    }

    fn element(&self, value: serde_json::Value, origin: Origin) -> Record<T> {
        let id = value
            .get("id")
            .and_then(|id| id.as_str().map(str::to_string));
        if let Some(reason) = not_an_object(&value) {
            return Record::Malformed { origin, id, reason };
        }
        match parse::<_, T>(value) {
            Ok(Ok(entity)) => Record::Entity { entity, origin },
            Ok(Err(reason)) => Record::Malformed { origin, id, reason },
            Err(e) => Record::Malformed {
                origin,
                id,
                reason: describe(&e),
            },
        }
    }
}

/// Records kept as their JSON text.
struct AsJson;

impl Decode for AsJson {
    type Output = EntityJson;
    type Element = Box<serde_json::value::RawValue>;

    fn line(&self, text: &[u8], origin: Origin) -> Record<EntityJson> {
        Record::Entity {
            entity: EntityJson(text.to_vec()),
            origin,
        }
    }

    fn element(&self, raw: Self::Element, origin: Origin) -> Record<EntityJson> {
        let text: Box<str> = raw.into();
        Record::Entity {
            entity: EntityJson(String::from(text).into_bytes()),
            origin,
        }
    }
}

/// Reads records from `reader` into `tx`, as the reader thread does; for tests.
#[cfg(test)]
fn read_from<R, T>(reader: R, name: &str, tx: mpsc::Sender<Vec<Record<T>>>)
where
    R: BufRead,
    T: DeserializeOwned + Send + 'static,
{
    read_with(reader, name, &Outbox::new(tx), &Typed(PhantomData));
}

#[cfg(test)]
fn read_json_from<R: BufRead>(reader: R, name: &str, tx: mpsc::Sender<Vec<Record<EntityJson>>>) {
    read_with(reader, name, &Outbox::new(tx), &AsJson);
}

fn read_with<R: BufRead, D: Decode>(mut reader: R, name: &str, tx: &Outbox<D::Output>, decode: &D) {
    // A byte-order mark is not part of the JSON: skip UTF-8's, refuse the UTF-16 ones.
    match reader.fill_buf() {
        Ok(buf) if buf.starts_with(b"\xEF\xBB\xBF") => reader.consume(3),
        Ok(buf) if buf.starts_with(b"\xFF\xFE") || buf.starts_with(b"\xFE\xFF") => {
            let _ = tx.blocking_send(Record::Stopped {
                reason: "the input is UTF-16 (it starts with a UTF-16 byte-order mark); \
                         records are read as UTF-8: convert it first"
                    .to_string(),
                origin: Origin {
                    file: name.into(),
                    line: 1,
                    record: 0,
                },
            });
            return;
        }
        _ => {}
    }

    // Skip leading white space, counting its lines, and look at what comes next to choose the
    // format.
    let mut lines_skipped = 0;
    let (first, spread_over_lines) = loop {
        match reader.fill_buf() {
            Ok([]) => return,
            Ok(buf) => match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => {
                    lines_skipped += buf[..i].iter().filter(|b| **b == b'\n').count();
                    let rest = &buf[i..];
                    let spread = rest
                        .iter()
                        .position(|b| *b == b'\n')
                        .is_some_and(|end| starts_a_value_it_does_not_end(&rest[..end]));
                    let first = rest[0];
                    reader.consume(i);
                    break (first, spread);
                }
                None => {
                    let n = buf.len();
                    lines_skipped += buf.iter().filter(|b| **b == b'\n').count();
                    reader.consume(n);
                }
            },
            Err(e) => {
                let origin = Origin {
                    file: name.into(),
                    line: lines_skipped + 1,
                    record: 0,
                };
                let _ = tx.blocking_send(Record::Stopped {
                    reason: e.to_string(),
                    origin,
                });
                return;
            }
        }
    };
    if first == b'[' {
        read_values(reader, name, lines_skipped, Layout::Array, tx, decode);
    } else if spread_over_lines {
        read_values(reader, name, lines_skipped, Layout::Sequence, tx, decode);
    } else {
        read_lines(reader, name, lines_skipped, tx, decode);
    }
}

/// Whether `line`, the first line of the input, opens an object that goes on past it: then the
/// input is objects spread over lines (pretty-printed, or wrapped by hand), not NDJSON. A line
/// that holds a whole object, or one that is broken in another way, starts NDJSON.
fn starts_a_value_it_does_not_end(line: &[u8]) -> bool {
    unclosed_object(line).is_some()
}

/// The parser's error for `line` when it opens an object and ends before closing it.
fn unclosed_object(line: &[u8]) -> Option<serde_json::Error> {
    if line.first() != Some(&b'{') {
        return None;
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(line)
        .err()
        .filter(|e| e.classify() == serde_json::error::Category::Eof)
}

/// The parser's message with the column only: its line is counted from the start of what it
/// was given (an NDJSON line, say), which would read as a line of the file. The origin names the
/// line of the file.
pub(crate) fn describe(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    let message = match message.strip_suffix(&position) {
        Some(bare) => format!("{bare} at column {}", error.column()),
        None => message,
    };
    // The parser reads a whole number too large for 64 bits as a float, and one just too
    // large for a signed 64-bit number as an unsigned one; either way it only says what it
    // expected.
    let too_large = message.starts_with("invalid type: floating point")
        || message.starts_with("invalid value: integer");
    if too_large && message.contains("expected i64") {
        return format!(
            "{message} (a whole number here is 64-bit, at most 9223372036854775807, written \
             without a fraction or exponent)"
        );
    }
    message
}

/// When `json` is not UTF-8: its ID, if that much of it reads, and the reason to give.
pub(crate) fn not_utf8(json: &[u8]) -> Option<(Option<String>, String)> {
    let error = std::str::from_utf8(json).err()?;
    let before = &json[..error.valid_up_to()];
    let column = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    let reason = format!(
        "malformed record: the byte at column {column} is not UTF-8 (records are read as \
         UTF-8: convert the input first)"
    );
    // The ID, unless it is where the bad bytes are.
    let id = serde_json::from_str::<serde_json::Value>(&String::from_utf8_lossy(json))
        .ok()
        .and_then(|v| v.get("id").and_then(|id| id.as_str().map(str::to_string)))
        .filter(|id| !id.is_empty() && !id.contains(char::REPLACEMENT_CHARACTER));
    Some((id, reason))
}

fn malformed<T>(text: &[u8], origin: Origin, reason: String) -> Record<T> {
    if let Some((id, reason)) = not_utf8(text) {
        return Record::Malformed { origin, id, reason };
    }
    let value = serde_json::from_slice::<serde_json::Value>(text).ok();
    let id = value
        .as_ref()
        .and_then(|v| v.get("id").and_then(|id| id.as_str().map(str::to_string)));
    // Valid JSON that is not an object: say so, rather than what the parser expected first.
    let reason = value.as_ref().and_then(not_an_object).unwrap_or(reason);
    Record::Malformed { origin, id, reason }
}

/// Why `value` cannot be a record, when it is not a JSON object.
pub(crate) fn not_an_object(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;

    let what = match value {
        Value::Object(_) => return None,
        Value::Array(_) => "an array",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
    };
    Some(format!(
        "a record is a JSON object with the entity's fields, not {what}"
    ))
}

/// Reads one entity from `de`, refusing fields its type does not have at the top level.
///
/// An incident or a review admits no fields beyond its schema's, so Jira refuses a record
/// that has one; parsed into the type, such a field would instead be dropped without a word.
/// Unknown keys inside nested objects are dropped, as those schemas allow extra keys.
pub(crate) fn parse<'de, D, T>(de: D) -> Result<Result<T, String>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    let mut unknown = Vec::new();
    let entity = serde_ignored::deserialize(de, |path| {
        if let serde_ignored::Path::Map {
            parent: serde_ignored::Path::Root,
            key,
        } = path
        {
            unknown.push(key);
        }
    });
    // Fields the type does not have come first, even when the record also fails otherwise
    // (a request body, say, lacks every field an entity must have): they are the thing to fix.
    match entity {
        _ if !unknown.is_empty() => Ok(Err(unknown_fields(&unknown))),
        Ok(entity) => Ok(Ok(entity)),
        Err(e) => Err(e),
    }
}

/// Why a record with the `fields` its type does not have is refused, with a hint when they
/// are the other kind's.
pub(crate) fn unknown_fields(fields: &[String]) -> String {
    let list: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
    let mut reason = format!(
        "unknown field{} {}: the schema allows no others, so Jira would refuse the record",
        if fields.len() == 1 { "" } else { "s" },
        list.join(", ")
    );
    let has = |name: &str| fields.iter().any(|f| f == name);
    if has("incidents") || has("properties") || has("providerMetadata") {
        reason.push_str(
            " (it looks like a whole request body: give the incidents or reviews themselves, \
             one record each)",
        );
    } else if has("reviews") {
        reason.push_str(" (`reviews` is a post-incident review's field: is this a review?)");
    } else if has("affectedComponents") || has("severity") {
        reason.push_str(" (it has an incident's fields: is this an incident?)");
    }
    reason
}

fn read_lines<R: BufRead, D: Decode>(
    mut reader: R,
    name: &str,
    lines_skipped: usize,
    tx: &Outbox<D::Output>,
    decode: &D,
) {
    let mut line = Vec::with_capacity(4096);
    let (mut line_no, mut record) = (lines_skipped, 0);
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) => {
                let origin = Origin {
                    file: name.into(),
                    line: line_no + 1,
                    record,
                };
                let _ = tx.blocking_send(Record::Stopped {
                    reason: e.to_string(),
                    origin,
                });
                return;
            }
        }
        line_no += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        record += 1;

        let origin = Origin {
            file: name.into(),
            line: line_no,
            record,
        };
        // Without its line end, so that a line cut short is reported at its own last column.
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        // A line that opens an object without closing it is cut short, or the first line of
        // an object spread over lines in a file whose first record is one line: say the
        // second, since the layout is the whole file's. (A whole object ends in `}`, so the
        // parse to find out is only paid by lines that do not.)
        let unclosed = (text.trim_ascii_end().last() != Some(&b'}'))
            .then(|| unclosed_object(text))
            .flatten();
        let mut record = decode.line(text, origin);
        if let Some(error) = unclosed {
            let hint = format!(
                "; if this line starts an object spread over lines: records of this file are \
                 read one per line, as its first record (line {}) is, so spread records over \
                 lines in all of the file or in none",
                lines_skipped + 1
            );
            record = match record {
                Record::Malformed { origin, id, reason } => Record::Malformed {
                    origin,
                    id,
                    reason: reason + &hint,
                },
                // Records handed on as JSON are read by the client; this one cannot be.
                Record::Entity { origin, .. } => Record::Malformed {
                    origin,
                    id: None,
                    reason: describe(&error) + &hint,
                },
                stopped => stopped,
            };
        }
        if tx.blocking_send(record).is_err() {
            return;
        }
    }
}

/// Where the parser is: lines read so far, and the line where the value being read started.
#[derive(Default)]
struct Lines {
    read: Cell<usize>,
    awaiting_value: Cell<bool>,
    value_start: Cell<usize>,
}

impl Lines {
    /// The next value starts at the next byte that is not white space or a separator.
    fn expect_value(&self) {
        self.awaiting_value.set(true);
    }
}

/// Hands bytes to the parser and keeps [`Lines`] up to date. serde_json reads a reader one
/// byte at a time and looks at most one byte ahead, only while a value is being read, so the
/// count is exact.
struct Tracked<R> {
    inner: R,
    lines: Rc<Lines>,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let lines = &self.lines;
        for &b in &buf[..n] {
            if lines.awaiting_value.get() && !b.is_ascii_whitespace() && b != b',' && b != b'[' {
                lines.value_start.set(lines.read.get() + 1);
                lines.awaiting_value.set(false);
            }
            if b == b'\n' {
                lines.read.set(lines.read.get() + 1);
            }
        }
        Ok(n)
    }
}

/// How the values of a JSON input are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Elements of one array.
    Array,
    /// Values one after another (pretty-printed objects, say).
    Sequence,
}

/// Turns each JSON value read into a record and sends it.
struct Sender<'a, D: Decode> {
    name: &'a str,
    lines: Rc<Lines>,
    tx: &'a Outbox<D::Output>,
    decode: &'a D,
    records: Cell<usize>,
}

impl<D: Decode> Sender<'_, D> {
    /// Sends the record read from `element`; false when nobody listens any more.
    fn send(&self, element: D::Element) -> bool {
        let record = self.records.get() + 1;
        self.records.set(record);
        let origin = Origin {
            file: self.name.into(),
            line: self.lines.value_start.get(),
            record,
        };
        self.tx
            .blocking_send(self.decode.element(element, origin))
            .is_ok()
    }
}

struct ArrayVisitor<'s, 'a, D: Decode>(&'s Sender<'a, D>);

impl<'de, D: Decode> Visitor<'de> for ArrayVisitor<'_, '_, D> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            self.0.lines.expect_value();
            let Some(value) = seq.next_element::<D::Element>()? else {
                return Ok(());
            };
            if !self.0.send(value) {
                return Ok(());
            }
        }
    }
}

fn read_values<R: BufRead, D: Decode>(
    reader: R,
    name: &str,
    lines_skipped: usize,
    layout: Layout,
    tx: &Outbox<D::Output>,
    decode: &D,
) {
    use serde::Deserializer as _;

    let lines = Rc::new(Lines::default());
    lines.read.set(lines_skipped);
    let tracked = Tracked {
        inner: reader,
        lines: lines.clone(),
    };
    let sender = Sender {
        name,
        lines: lines.clone(),
        tx,
        decode,
        records: Cell::new(0),
    };
    let mut de = serde_json::Deserializer::from_reader(tracked);
    let result = match layout {
        Layout::Array => de
            .deserialize_seq(ArrayVisitor(&sender))
            .and_then(|()| de.end()),
        Layout::Sequence => {
            let mut values = de.into_iter::<D::Element>();
            loop {
                lines.expect_value();
                match values.next() {
                    Some(Ok(value)) => {
                        if !sender.send(value) {
                            break Ok(());
                        }
                    }
                    None => break Ok(()),
                    Some(Err(e)) => break Err(e),
                }
            }
        }
    };
    if let Err(e) = result {
        let origin = Origin {
            file: name.into(),
            line: lines_skipped + e.line(),
            record: sender.records.get(),
        };
        let _ = tx.blocking_send(Record::Stopped {
            reason: describe(&e),
            origin,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Thing {
        id: String,
        n: u32,
    }

    fn collect(text: &str) -> Vec<Record<Thing>> {
        let (tx, mut rx) = mpsc::channel(64);
        read_from(io::Cursor::new(text.as_bytes().to_vec()), "in.ndjson", tx);
        let mut out = Vec::new();
        while let Ok(chunk) = rx.try_recv() {
            out.extend(chunk);
        }
        out
    }

    #[test]
    fn a_malformed_ndjson_line_is_named_and_the_next_lines_still_come() {
        let out = collect(
            "{\"id\":\"a\",\"n\":1}\n\n{\"id\":\"b\",\"n\":\n{\"id\":\"c\",\"n\":\"x\"}\n{\"id\":\"d\",\"n\":4}\n",
        );
        assert_eq!(out.len(), 4);
        assert!(
            matches!(&out[0], Record::Entity { origin, .. } if origin.line == 1 && origin.record == 1)
        );
        assert!(matches!(&out[1], Record::Malformed { origin, id: None, .. } if origin.line == 3));
        assert!(
            matches!(&out[2], Record::Malformed { origin, id: Some(id), .. } if origin.line == 4 && id == "c")
        );
        assert!(
            matches!(&out[3], Record::Entity { entity, origin } if entity.id == "d" && origin.to_string() == "in.ndjson:5" && origin.record == 4)
        );
    }

    #[test]
    fn a_json_array_is_read_element_by_element() {
        let out =
            collect("[\n {\"id\":\"a\",\"n\":1},\n {\"id\":\"b\"},\n {\"id\":\"c\",\"n\":3}\n]\n");
        assert_eq!(out.len(), 3);
        assert!(
            matches!(&out[1], Record::Malformed { origin, id: Some(id), .. } if origin.line == 3 && id == "b")
        );
        assert!(matches!(&out[2], Record::Entity { entity, .. } if entity.n == 3));
    }

    #[test]
    fn a_number_too_large_for_64_bits_is_explained() {
        for number in ["1180591620717411303424", "9223372036854775808"] {
            let error = serde_json::from_str::<i64>(number).unwrap_err();
            let message = describe(&error);
            assert!(
                message.ends_with(
                    "at most 9223372036854775807, written without a fraction or exponent)"
                ),
                "{message}"
            );
        }
    }

    #[test]
    fn messages_give_the_column_and_leave_the_line_to_the_origin() {
        let out = collect("{\"id\":\"a\",\"n\":1}\n{\"id\":\"b\",\"n\":\"x\"}\r\n{\"id\":\n");
        let reasons: Vec<&str> = out
            .iter()
            .filter_map(|r| match r {
                Record::Malformed { reason, .. } => Some(reason.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            reasons,
            [
                "invalid type: string \"x\", expected u32 at column 17",
                "EOF while parsing a value at column 6; if this line starts an object spread \
                 over lines: records of this file are read one per line, as its first record \
                 (line 1) is, so spread records over lines in all of the file or in none",
            ]
        );

        let out = collect("[\n {\"id\":\"a\",\"n\":1},\n {\"id\": oops}\n]");
        assert!(
            matches!(&out[1], Record::Stopped { reason, .. } if reason == "expected value at column 9"),
            "{out:?}"
        );
    }

    /// (line, record) of each entity or malformed record, and the line of a stop.
    fn places(out: &[Record<Thing>]) -> Vec<String> {
        out.iter()
            .map(|r| match r {
                Record::Entity { entity, origin } => {
                    format!("{} at {}#{}", entity.id, origin.line, origin.record)
                }
                Record::Malformed { id, origin, .. } => {
                    format!(
                        "bad {} at {}#{}",
                        id.as_deref().unwrap_or("?"),
                        origin.line,
                        origin.record
                    )
                }
                Record::Stopped { origin, .. } => format!("stop at {}", origin.line),
            })
            .collect()
    }

    #[test]
    fn a_pretty_printed_array_names_the_line_where_each_element_starts() {
        let text = "\n\n[\n  {\n    \"id\": \"a\",\n    \"n\": 1\n  },\n  {\n    \"id\": \"b\"\n  },\n  {\"id\": \"c\", \"n\": 3}\n]\n";
        assert_eq!(
            places(&collect(text)),
            ["a at 4#1", "bad b at 8#2", "c at 11#3"]
        );
    }

    #[test]
    fn pretty_printed_objects_one_after_another_are_read_as_records() {
        let text = "\n{\n  \"id\": \"a\",\n  \"n\": 1\n}\n{\n  \"id\": \"b\",\n  \"n\": \"x\"\n}\n\n{\"id\": \"c\", \"n\": 3}\n{\n  \"id\": oops\n}\n{\"id\": \"d\", \"n\": 4}\n";
        assert_eq!(
            places(&collect(text)),
            ["a at 2#1", "bad b at 6#2", "c at 11#3", "stop at 13"]
        );
    }

    #[test]
    fn objects_wrapped_by_hand_are_read_as_objects_not_lines() {
        // As a README shows a record: the first line opens the object and holds some fields.
        let text = "{\"id\": \"a\",\n \"n\": 1}\n{\"id\": \"b\",\n \"n\": 2}\n";
        assert_eq!(places(&collect(text)), ["a at 1#1", "b at 3#2"]);
        // json.dumps(indent=1): the same.
        let text = "{\n \"id\": \"a\",\n \"n\": 1\n}\n";
        assert_eq!(places(&collect(text)), ["a at 1#1"]);
        // A first line that is a whole object, or broken otherwise, starts NDJSON.
        let text = "{\"id\": \"a\", \"n\": 1}\n{\"id\": \"b\", \"n\": 2}\n";
        assert_eq!(places(&collect(text)), ["a at 1#1", "b at 2#2"]);
        let text = "{\"id\": oops}\n{\"id\": \"b\", \"n\": 2}\n";
        assert_eq!(places(&collect(text)), ["bad ? at 1#1", "b at 2#2"]);
    }

    #[test]
    fn ndjson_after_blank_lines_keeps_its_line_numbers() {
        let text = "\n\n{\"id\":\"a\",\"n\":1}\n\n{\"id\":\"b\",\"n\":2}\n";
        assert_eq!(places(&collect(text)), ["a at 3#1", "b at 5#2"]);
    }

    #[test]
    fn a_value_that_is_not_an_object_is_named_for_what_it_is() {
        let out = collect("{\"id\":\"a\",\"n\":1}\n[1,2]\n\"x\"\n");
        let reasons: Vec<String> = out
            .iter()
            .filter_map(|r| match r {
                Record::Malformed { reason, .. } => Some(reason.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            reasons,
            [
                "a record is a JSON object with the entity's fields, not an array",
                "a record is a JSON object with the entity's fields, not a string",
            ]
        );
        let array = collect("[{\"id\":\"a\",\"n\":1}, 7]");
        assert_eq!(places(&array), ["a at 1#1", "bad ? at 1#2"]);
    }

    #[test]
    fn a_utf8_byte_order_mark_is_skipped_in_every_format() {
        let ndjson = "\u{FEFF}{\"id\":\"a\",\"n\":1}\n{\"id\":\"b\",\"n\":2}\n";
        assert_eq!(places(&collect(ndjson)), ["a at 1#1", "b at 2#2"]);
        let array = "\u{FEFF}[\n  {\"id\": \"a\", \"n\": 1}\n]\n";
        assert_eq!(places(&collect(array)), ["a at 2#1"]);
        let pretty = "\u{FEFF}{\n  \"id\": \"a\",\n  \"n\": 1\n}\n";
        assert_eq!(places(&collect(pretty)), ["a at 1#1"]);
    }

    #[test]
    fn utf16_input_is_refused_with_a_reason() {
        let (tx, mut rx) = mpsc::channel(4);
        read_from(io::Cursor::new(b"\xFF\xFE[\x00".to_vec()), "in.json", tx);
        let mut chunk: Vec<Record<Thing>> = rx.try_recv().unwrap();
        assert_eq!(chunk.len(), 1);
        let record = chunk.remove(0);
        assert!(
            matches!(&record, Record::Stopped { reason, origin } if reason.contains("UTF-16") && origin.line == 1),
            "{record:?}"
        );
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn a_top_level_field_the_type_lacks_refuses_the_record_and_names_the_field() {
        let text =
            "{\"id\":\"a\",\"n\":1,\"colour\":\"red\",\"reviews\":[]}\n{\"id\":\"b\",\"n\":2}\n";
        let out = collect(text);
        assert_eq!(places(&out), ["bad a at 1#1", "b at 2#2"]);
        let Record::Malformed { reason, .. } = &out[0] else {
            unreachable!()
        };
        assert_eq!(
            reason,
            "unknown fields `colour`, `reviews`: the schema allows no others, so Jira would \
             refuse the record (`reviews` is a post-incident review's field: is this a review?)"
        );

        let body = collect("{\"incidents\": [], \"properties\": {}}\n");
        assert!(
            matches!(&body[0], Record::Malformed { reason, .. } if reason.ends_with("(it looks like a whole request body: give the incidents or reviews themselves, one record each)")),
            "{body:?}"
        );

        let array = collect("[{\"id\":\"a\",\"n\":1,\"severity\":{}}]");
        assert!(
            matches!(&array[0], Record::Malformed { id: Some(id), reason, .. } if id == "a" && reason.starts_with("unknown field `severity`:") && reason.ends_with("is this an incident?)")),
            "{array:?}"
        );
    }

    fn collect_json(text: &str) -> Vec<String> {
        let (tx, mut rx) = mpsc::channel(64);
        read_json_from(io::Cursor::new(text.as_bytes().to_vec()), "in", tx);
        let mut records = Vec::new();
        while let Ok(chunk) = rx.try_recv() {
            records.extend(chunk);
        }
        let mut out = Vec::new();
        for record in records {
            out.push(match record {
                Record::Entity { entity, origin } => {
                    format!("{} {}", origin, String::from_utf8(entity.0).unwrap())
                }
                Record::Malformed { origin, .. } => format!("{origin} malformed"),
                Record::Stopped { origin, reason } => format!("{origin} stopped: {reason}"),
            })
        }
        out
    }

    #[test]
    fn as_json_each_record_is_handed_over_as_its_text_with_its_line() {
        // NDJSON: each line as it is, line end removed, even one that is not JSON.
        assert_eq!(
            collect_json("{\"id\": \"a\"}\r\n\n{oops\n[1]\n"),
            ["in:1 {\"id\": \"a\"}", "in:3 {oops", "in:4 [1]"]
        );
        // Array elements and pretty-printed objects: each value's own text.
        assert_eq!(
            collect_json("[\n  {\"id\": \"a\",\n   \"n\": 1},\n  7\n]\n"),
            ["in:2 {\"id\": \"a\",\n   \"n\": 1}", "in:4 7"]
        );
        assert_eq!(
            collect_json("{\n  \"id\": \"a\"\n}\n{\n  \"id\": oops\n}\n"),
            [
                "in:1 {\n  \"id\": \"a\"\n}",
                "in:5 stopped: expected value at column 9"
            ]
        );
    }

    #[tokio::test]
    async fn records_across_many_hand_overs_come_in_order_with_their_lines() {
        use futures::StreamExt as _;

        let dir = std::env::temp_dir().join(format!("jira-ops-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("many.ndjson");
        let lines: Vec<String> = (0..3 * CHUNK + 7)
            .map(|i| format!("{{\"id\":\"r{i}\",\"n\":{i}}}"))
            .collect();
        std::fs::write(&path, lines.join("\n")).unwrap();

        let read: Vec<Record<Thing>> = read(Some(&path)).collect().await;
        std::fs::remove_dir_all(&dir).unwrap();

        assert_eq!(read.len(), lines.len());
        for (i, record) in read.iter().enumerate() {
            assert!(
                matches!(record, Record::Entity { entity, origin } if entity.n as usize == i && origin.line == i + 1),
                "{record:?}"
            );
        }
    }

    #[test]
    fn a_syntax_error_in_an_array_stops_the_reader_with_its_line() {
        let out = collect("[\n {\"id\":\"a\",\"n\":1},\n {\"id\": oops}\n]");
        assert_eq!(out.len(), 2);
        assert!(
            matches!(&out[1], Record::Stopped { origin, .. } if origin.line == 3 && origin.record == 1)
        );
    }
}
