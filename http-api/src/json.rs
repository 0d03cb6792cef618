//! JSON written by the API itself: compact, byte for byte what
//! `serde_json::to_vec` writes for the same value, but faster where every
//! response spends its time. serde_json looks up every byte of every string
//! (member names included) in its escape table, and each run of plain
//! bytes goes through its formatter's calls; here a string is tested and
//! copied eight bytes at a time. A Form3 payment's document was 40% of the
//! instructions of a fetch, most of them in that byte-by-byte scan.
//!
//! [`to_vec`] writes any `Serialize` value, with every data model rule of
//! serde_json's: `None` and units as `null`, an enum's variant as a string
//! or as an object of one member, map keys that are numbers or booleans
//! quoted, non-finite floats as `null` and finite ones as zmij writes them
//! (as serde_json does), and serde_json's `RawValue` written as it is.
//! What serde_json refuses (a map key that is neither a string, a number
//! nor a boolean, nor a finite float) is refused here too. The tests hold
//! the output to serde_json's for every shape.
//!
//! [`push_string`] and [`push_escaped`] are the string writer alone, for
//! other JSON the program writes (the access log's lines).

use std::fmt::{self, Display, Write as _};

use serde::ser::{self, Impossible, Serialize};

/// serde_json's name for the struct a `RawValue` serialises as, and for
/// its one field: JSON text to be written as it is.
const RAW_VALUE: &str = "$serde_json::private::RawValue";

/// Why a value could not be written: what its `Serialize` said, or a map
/// key JSON cannot have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(message: T) -> Self {
        Self(message.to_string())
    }
}

/// Appends `value` to `out` as compact JSON.
///
/// # Errors
/// What the value's `Serialize` reports, and a map key that is not a
/// string, a number or a boolean. `out` may then hold part of the value.
pub fn to_vec<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    value.serialize(Writer { out })
}

/// `text` as a JSON string, escaped as serde_json escapes.
pub fn push_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    push_escaped(out, text);
    out.push(b'"');
}

/// `text` inside a JSON string: as it is when nothing in it needs an
/// escape, as almost all text does; otherwise each `"`, `\` and control
/// character escaped (`\n`, `\r`, `\t`, `\b`, `\f` by name, others as
/// `\u00xx`).
///
/// Tested and copied eight bytes at a time: a word with nothing to
/// escape is appended whole (a store, where a copy of the whole string
/// was a call to `memcpy` for a dozen bytes, most strings of a payment
/// being shorter than that). The last, partial word is tested and written
/// whole too, then cut back: for a string of eight bytes or more, as the
/// string's last eight bytes, over those of them already written; for
/// one of four to seven bytes, as its first four and then its last four
/// over them; for a shorter one, as its bytes followed by padding. From
/// the first word that holds a byte to escape, byte by byte.
pub fn push_escaped(out: &mut Vec<u8>, text: &str) {
    escape_into(out, text.as_bytes());
}

/// [`push_escaped`], of any bytes (its tests give bytes no string has).
fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) {
    // Room for the padding of a short string's word too.
    out.reserve(bytes.len() + 8);
    let (words, tail) = bytes.as_chunks::<8>();
    for (index, word) in words.iter().enumerate() {
        if has_escape(u64::from_ne_bytes(*word)) {
            return push_escaped_bytes(out, &bytes[index * 8..]);
        }
        out.extend_from_slice(word);
    }
    if tail.is_empty() {
        return;
    }
    let end = out.len() + tail.len();
    // The bytes before the tail are clean: an escape is in the tail.
    match bytes.last_chunk::<8>() {
        Some(last) if has_escape(u64::from_ne_bytes(*last)) => push_escaped_bytes(out, tail),
        Some(last) => {
            out.truncate(end - 8);
            out.extend_from_slice(last);
        }
        // Four to seven bytes: its first four and its last four, which
        // overlap, tested as one word and written one over the other.
        None if tail.len() >= 4 => {
            let (Some(first), Some(last)) = (tail.first_chunk::<4>(), tail.last_chunk::<4>())
            else {
                return push_escaped_bytes(out, tail);
            };
            let word =
                u64::from(u32::from_ne_bytes(*first)) << 32 | u64::from(u32::from_ne_bytes(*last));
            if has_escape(word) {
                return push_escaped_bytes(out, tail);
            }
            out.extend_from_slice(first);
            out.truncate(end - 4);
            out.extend_from_slice(last);
        }
        None => {
            let padded = padded_word(tail);
            if has_escape(u64::from_ne_bytes(padded)) {
                return push_escaped_bytes(out, tail);
            }
            out.extend_from_slice(&padded);
            out.truncate(end);
        }
    }
}

/// `tail` (fewer than eight bytes) followed by spaces, eight bytes in
/// all: built byte by byte in a register, where copying the slice into an
/// array would be a call to `memcpy`.
fn padded_word(tail: &[u8]) -> [u8; 8] {
    // Byte `at` of the array is bits `8 * at` of a little-endian word.
    let word = tail
        .iter()
        .enumerate()
        .fold(u64::from_le_bytes([b' '; 8]), |word, (at, &byte)| {
            let shift = 8 * at;
            word & !(0xff << shift) | u64::from(byte) << shift
        });
    word.to_le_bytes()
}

/// `bytes` escaped one at a time.
fn push_escaped_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    for &byte in bytes {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            control if control < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(control >> 4)]);
                out.push(HEX[usize::from(control & 0xf)]);
            }
            // Multi-byte characters pass whole: none of their bytes is
            // below 0x80.
            other => out.push(other),
        }
    }
}

/// Whether any byte of `word` is one JSON escapes: a control character,
/// `"` or `\`. All eight at once: the word is tested for a byte below
/// 0x20 and for a byte equal to either character (a byte past 0x7f, part
/// of a multi-byte character, never matches).
fn has_escape(word: u64) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH_BITS: u64 = ONES * 0x80;
    // The high bit of each byte of `word` below `limit` (at most 0x80)
    // is set in the result, and no other high bit unless a lower byte's
    // is: as a yes or no, exact.
    let below =
        |word: u64, limit: u8| word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGH_BITS;
    let equal = |word: u64, byte: u8| below(word ^ (ONES * u64::from(byte)), 1);
    below(word, 0x20) | equal(word, b'"') | equal(word, b'\\') != 0
}

/// Formatted `text` as a JSON string, escaped as it is written (no
/// `String` made first): a value's `Display` or `Debug`.
///
/// # Errors
/// When a formatting trait implementation fails; `out` then holds part of
/// the string.
pub fn push_formatted(out: &mut Vec<u8>, text: fmt::Arguments<'_>) -> fmt::Result {
    out.push(b'"');
    Escaping(out).write_fmt(text)?;
    out.push(b'"');
    Ok(())
}

/// Formatted text, escaped into the buffer as it is written: what goes
/// between the quotes of [`push_formatted`].
struct Escaping<'a>(&'a mut Vec<u8>);

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        push_escaped(self.0, text);
        Ok(())
    }
}

fn push_integer(out: &mut Vec<u8>, value: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

fn push_float(out: &mut Vec<u8>, value: impl zmij::Float + Finite) {
    if value.finite() {
        out.extend_from_slice(zmij::Buffer::new().format_finite(value).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

/// Whether a float is neither infinite nor NaN (zmij's `Float` does not
/// say).
trait Finite: Copy {
    fn finite(self) -> bool;
}

impl Finite for f32 {
    fn finite(self) -> bool {
        self.is_finite()
    }
}

impl Finite for f64 {
    fn finite(self) -> bool {
        self.is_finite()
    }
}

/// The serializer: each value appended to `out` as it comes.
struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

/// A sequence or an object being written: whether a member was written
/// yet (the next one is preceded by a comma), and whether it is an enum's
/// variant, whose object of one member closes after it.
struct Compound<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    variant: bool,
}

impl<'a> Compound<'a> {
    /// Opens a sequence (`[`) or an object (`{`), inside an object of one
    /// member named `variant` when there is one.
    fn open(out: &'a mut Vec<u8>, open: u8, variant: Option<&str>) -> Self {
        if let Some(name) = variant {
            out.push(b'{');
            push_string(out, name);
            out.push(b':');
        }
        out.push(open);
        Self {
            out,
            first: true,
            variant: variant.is_some(),
        }
    }

    fn separate(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.out.push(b',');
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.separate();
        value.serialize(Writer {
            out: &mut *self.out,
        })
    }

    fn member<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), Error> {
        self.separate();
        push_string(self.out, name);
        self.out.push(b':');
        value.serialize(Writer {
            out: &mut *self.out,
        })
    }

    fn close(self, close: u8) {
        self.out.push(close);
        if self.variant {
            self.out.push(b'}');
        }
    }
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Struct<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, value: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
        Ok(())
    }

    fn serialize_i8(self, value: i8) -> Result<(), Error> {
        push_integer(self.out, value);
        Ok(())
    }

    fn serialize_i16(self, value: i16) -> Result<(), Error> {
        push_integer(self.out, value);
        Ok(())
    }

    fn serialize_i32(self, value: i32) -> Result<(), Error> {
        push_integer(self.out, value);
        Ok(())
    }

    fn serialize_i64(self, value: i64) -> Result<(), Error> {
        push_integer(self.out, value);
        Ok(())
    }

    fn serialize_i128(self, value: i128) -> Result<(), Error> {
        push_integer(self.out, value);
        Ok(())
    }

    fn serialize_u8(self, value: u8) -> Result<(), Error> {
        push_integer(self.out, value);
        Ok(())
    }

    fn serialize_u16(self, value: u16) -> Result<(), Error> {
        push_integer(self.out, value);
        Ok(())
    }

    fn serialize_u32(self, value: u32) -> Result<(), Error> {
        push_integer(self.out, value);
        Ok(())
    }

    fn serialize_u64(self, value: u64) -> Result<(), Error> {
        push_integer(self.out, value);
        Ok(())
    }

    fn serialize_u128(self, value: u128) -> Result<(), Error> {
        push_integer(self.out, value);
        Ok(())
    }

    fn serialize_f32(self, value: f32) -> Result<(), Error> {
        push_float(self.out, value);
        Ok(())
    }

    fn serialize_f64(self, value: f64) -> Result<(), Error> {
        push_float(self.out, value);
        Ok(())
    }

    fn serialize_char(self, value: char) -> Result<(), Error> {
        push_string(self.out, value.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, value: &str) -> Result<(), Error> {
        push_string(self.out, value);
        Ok(())
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<(), Error> {
        let mut seq = Compound::open(self.out, b'[', None);
        for byte in value {
            seq.element(byte)?;
        }
        seq.close(b']');
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let mut object = Compound::open(self.out, b'{', None);
        object.member(variant, value)?;
        object.close(b'}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(Compound::open(self.out, b'[', None))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>, Error> {
        Ok(Compound::open(self.out, b'[', None))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        Ok(Compound::open(self.out, b'[', None))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        Ok(Compound::open(self.out, b'[', Some(variant)))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(Compound::open(self.out, b'{', None))
    }

    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Struct<'a>, Error> {
        if name == RAW_VALUE {
            return Ok(Struct::Raw(self.out));
        }
        Ok(Struct::Object(Compound::open(self.out, b'{', None)))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        Ok(Compound::open(self.out, b'{', Some(variant)))
    }

    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        push_formatted(self.out, format_args!("{value}"))
            .map_err(|_| Error("a value's Display failed".to_owned()))
    }
}

/// The four kinds of sequence serde has (a sequence, a tuple, a tuple
/// struct, a tuple variant) are written alike: elements, then `]`.
macro_rules! sequences {
    ($($kind:ident: $element:ident),*) => {
        $(impl ser::$kind for Compound<'_> {
            type Ok = ();
            type Error = Error;

            fn $element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }

            fn end(self) -> Result<(), Error> {
                self.close(b']');
                Ok(())
            }
        })*
    };
}

sequences!(
    SerializeSeq: serialize_element,
    SerializeTuple: serialize_element,
    SerializeTupleStruct: serialize_field,
    SerializeTupleVariant: serialize_field
);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.separate();
        key.serialize(Key {
            out: &mut *self.out,
        })?;
        self.out.push(b':');
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(Writer {
            out: &mut *self.out,
        })
    }

    fn end(self) -> Result<(), Error> {
        self.close(b'}');
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.member(name, value)
    }

    fn end(self) -> Result<(), Error> {
        self.close(b'}');
        Ok(())
    }
}

/// A struct being written: an object, or serde_json's `RawValue`, whose
/// one field is JSON text.
enum Struct<'a> {
    Object(Compound<'a>),
    Raw(&'a mut Vec<u8>),
}

impl ser::SerializeStruct for Struct<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        match self {
            Self::Object(object) => object.member(name, value),
            Self::Raw(out) => value.serialize(RawText { out }),
        }
    }

    fn end(self) -> Result<(), Error> {
        if let Self::Object(object) = self {
            object.close(b'}');
        }
        Ok(())
    }
}

/// A `RawValue`'s text, written as it is: it is JSON already.
struct RawText<'a> {
    out: &'a mut Vec<u8>,
}

/// The refusal of everything but a string where only a string can be.
fn not_a(what: &str) -> Error {
    Error(format!("{what} must be a string"))
}

/// A map's key, written as a JSON string: a string as it is, a number or
/// a boolean quoted; anything else refused, as serde_json refuses it.
struct Key<'a> {
    out: &'a mut Vec<u8>,
}

impl Key<'_> {
    /// A number or a boolean as a key: as the writer writes it, quoted.
    fn quoted(self, value: impl Serialize) -> Result<(), Error> {
        self.out.push(b'"');
        value.serialize(Writer {
            out: &mut *self.out,
        })?;
        self.out.push(b'"');
        Ok(())
    }

    fn quoted_float(self, value: impl Serialize + Finite) -> Result<(), Error> {
        if !value.finite() {
            return Err(Error("a float key must be finite".to_owned()));
        }
        self.quoted(value)
    }
}

/// The serializer methods of [`Key`] for integers: each quoted.
macro_rules! quoted_integers {
    ($($method:ident: $type:ty),*) => {
        $(fn $method(self, value: $type) -> Result<(), Error> {
            self.quoted(value)
        })*
    };
}

/// The serializer methods for scalars, each refusing its value.
macro_rules! refused_scalars {
    ($what:literal; $($method:ident: $type:ty),*) => {
        $(fn $method(self, _: $type) -> Result<(), Error> {
            Err(not_a($what))
        })*
    };
}

/// The serializer methods for everything but scalars, strings, unit
/// variants and newtype structs, each refusing its value.
macro_rules! refused {
    ($what:literal) => {
        fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
            Err(not_a($what))
        }

        fn serialize_none(self) -> Result<(), Error> {
            Err(not_a($what))
        }

        fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Error> {
            Err(not_a($what))
        }

        fn serialize_unit(self) -> Result<(), Error> {
            Err(not_a($what))
        }

        fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
            Err(not_a($what))
        }

        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<(), Error> {
            Err(not_a($what))
        }

        fn serialize_seq(self, _: Option<usize>) -> Result<Impossible<(), Error>, Error> {
            Err(not_a($what))
        }

        fn serialize_tuple(self, _: usize) -> Result<Impossible<(), Error>, Error> {
            Err(not_a($what))
        }

        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Impossible<(), Error>, Error> {
            Err(not_a($what))
        }

        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Impossible<(), Error>, Error> {
            Err(not_a($what))
        }

        fn serialize_map(self, _: Option<usize>) -> Result<Impossible<(), Error>, Error> {
            Err(not_a($what))
        }

        fn serialize_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Impossible<(), Error>, Error> {
            Err(not_a($what))
        }

        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Impossible<(), Error>, Error> {
            Err(not_a($what))
        }
    };
}

impl ser::Serializer for Key<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    quoted_integers!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128
    );

    refused!("a key");

    fn serialize_bool(self, value: bool) -> Result<(), Error> {
        self.quoted(value)
    }

    fn serialize_f32(self, value: f32) -> Result<(), Error> {
        self.quoted_float(value)
    }

    fn serialize_f64(self, value: f64) -> Result<(), Error> {
        self.quoted_float(value)
    }

    fn serialize_char(self, value: char) -> Result<(), Error> {
        push_string(self.out, value.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, value: &str) -> Result<(), Error> {
        push_string(self.out, value);
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        Writer { out: self.out }.collect_str(value)
    }
}

impl ser::Serializer for RawText<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    refused!("a raw value");
    refused_scalars!("a raw value";
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_f32: f32, serialize_f64: f64, serialize_char: char
    );

    fn serialize_str(self, text: &str) -> Result<(), Error> {
        self.out.extend_from_slice(text.as_bytes());
        Ok(())
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Error> {
        Err(not_a("a raw value"))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(not_a("a raw value"))
    }

    fn collect_str<T: Display + ?Sized>(self, _: &T) -> Result<(), Error> {
        Err(not_a("a raw value"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde::Serialize;
    use serde_json::value::RawValue;
    use serde_json::Value;

    use super::*;

    /// `value` as this module writes it, held to serde_json's bytes.
    fn same_as_serde_json<T: Serialize + ?Sized>(value: &T) -> String {
        let mut ours = Vec::new();
        to_vec(&mut ours, value).unwrap();
        let ours = String::from_utf8(ours).unwrap();
        assert_eq!(ours, serde_json::to_string(value).unwrap());
        ours
    }

    #[test]
    fn what_a_client_sends_is_escaped_into_one_json_string() {
        let mut line = Vec::new();
        push_string(&mut line, "a\"b\\c\nd\re\tf\u{1}g\u{1f}hé€");
        let line = String::from_utf8(line).unwrap();
        assert_eq!(line, r#""a\"b\\c\nd\re\tf\u0001g\u001fhé€""#);
        assert_eq!(
            serde_json::from_str::<String>(&line).unwrap(),
            "a\"b\\c\nd\re\tf\u{1}g\u{1f}hé€"
        );
    }

    #[test]
    fn a_byte_to_escape_is_found_wherever_it_is_in_a_word() {
        for byte in 0..=u8::MAX {
            for length in 1..=20 {
                for at in 0..length {
                    // Around it, bytes next to the ones escaped, and
                    // before the text what the buffer held already.
                    let mut text = vec![b'#'; length];
                    text[at] = byte;
                    if at > 0 {
                        text[at - 1] = 0xff;
                    }
                    let mut word_by_word = b"before".to_vec();
                    escape_into(&mut word_by_word, &text);
                    let mut byte_by_byte = b"before".to_vec();
                    push_escaped_bytes(&mut byte_by_byte, &text);
                    assert_eq!(
                        word_by_word, byte_by_byte,
                        "{byte:#04x} at {at} of {length}"
                    );
                    let escaped = byte < 0x20 || byte == b'"' || byte == b'\\';
                    assert_eq!(
                        word_by_word.len() > 6 + length,
                        escaped,
                        "{byte:#04x} at {at} of {length}"
                    );
                }
            }
        }
        let mut out = Vec::new();
        push_escaped(&mut out, "");
        push_escaped(&mut out, "é€ 01234567 ~ !#]^");
        assert_eq!(out, "é€ 01234567 ~ !#]^".as_bytes());
    }

    #[test]
    fn every_character_is_escaped_as_serde_json_escapes_it() {
        let characters =
            (0..0x100)
                .filter_map(char::from_u32)
                .chain(['€', '\u{2028}', '\u{10ffff}']);
        for character in characters {
            let text = format!("x{character}y");
            let mut line = Vec::new();
            push_string(&mut line, &text);
            assert_eq!(
                String::from_utf8(line).unwrap(),
                serde_json::to_string(&text).unwrap(),
                "{character:?}"
            );
            let mut formatted = Vec::new();
            push_formatted(&mut formatted, format_args!("{text}")).unwrap();
            assert_eq!(
                String::from_utf8(formatted).unwrap(),
                serde_json::to_string(&text).unwrap(),
                "{character:?} formatted"
            );
        }
    }

    #[derive(Serialize)]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(u8, &'static str),
        Struct {
            side: i32,
            name: Option<&'static str>,
        },
    }

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    struct Newtype(&'static str);

    #[derive(Serialize)]
    struct Pair(i8, bool);

    #[derive(Serialize)]
    struct Empty {}

    #[derive(Serialize)]
    struct Inner {
        #[serde(rename = "in\"ner")]
        value: u16,
    }

    #[derive(Serialize)]
    struct Outer<'a> {
        text: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        none: Option<u8>,
        some: Option<&'a str>,
        shapes: Vec<Shape>,
        #[serde(flatten)]
        flattened: Inner,
        raw: &'a RawValue,
        shown: Shown,
        empty: Empty,
        unit: Unit,
        newtype: Newtype,
        pair: Pair,
        tuple: (u64, i64, char),
        bytes: &'a [u8],
        nothing: (),
        big: (u128, i128),
    }

    /// Written through `collect_str`, in pieces, one to escape.
    struct Shown;

    impl Display for Shown {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let (year, month, day) = (2024, 8, 1);
            write!(f, "{year}-{month:02}\"{day}")
        }
    }

    impl Serialize for Shown {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_str(self)
        }
    }

    #[test]
    fn every_shape_of_the_data_model_is_written_as_serde_json_writes_it() {
        let raw = RawValue::from_string("10.50".to_owned()).unwrap();
        let outer = Outer {
            text: "line\none \"quoted\" é",
            skipped: None,
            none: None,
            some: Some("some"),
            shapes: vec![
                Shape::Unit,
                Shape::Newtype(7),
                Shape::Tuple(1, "two"),
                Shape::Struct {
                    side: -3,
                    name: None,
                },
            ],
            flattened: Inner { value: 65_535 },
            raw: &raw,
            shown: Shown,
            empty: Empty {},
            unit: Unit,
            newtype: Newtype("newtype"),
            pair: Pair(i8::MIN, false),
            tuple: (u64::MAX, i64::MIN, '"'),
            bytes: &[0, 1, 255],
            nothing: (),
            big: (u128::MAX, i128::MIN),
        };
        assert_eq!(
            same_as_serde_json(&outer),
            concat!(
                r#"{"text":"line\none \"quoted\" é","none":null,"some":"some","#,
                r#""shapes":["Unit",{"Newtype":7},{"Tuple":[1,"two"]},{"Struct":{"side":-3,"name":null}}],"#,
                r#""in\"ner":65535,"raw":10.50,"shown":"2024-08\"1","empty":{},"unit":null,"#,
                r#""newtype":"newtype","pair":[-128,false],"#,
                r#""tuple":[18446744073709551615,-9223372036854775808,"\""],"bytes":[0,1,255],"#,
                r#""nothing":null,"big":[340282366920938463463374607431768211455,"#,
                r#"-170141183460469231731687303715884105728]}"#
            )
        );
    }

    #[test]
    fn floats_are_written_as_serde_json_writes_them_and_non_finite_ones_as_null() {
        for value in [0.0, -0.0, 1.5, 1e21, 1e-7, f64::MAX, f64::MIN_POSITIVE] {
            same_as_serde_json(&value);
        }
        assert_eq!(
            same_as_serde_json(&[f64::NAN, f64::INFINITY]),
            "[null,null]"
        );
        assert_eq!(same_as_serde_json(&f32::NEG_INFINITY), "null");
    }

    #[test]
    fn map_keys_are_strings_numbers_and_booleans_quoted() {
        assert_eq!(
            same_as_serde_json(&BTreeMap::from([(-1_i64, "a"), (2, "b")])),
            r#"{"-1":"a","2":"b"}"#
        );
        assert_eq!(
            same_as_serde_json(&BTreeMap::from([(false, 0), (true, 1)])),
            r#"{"false":0,"true":1}"#
        );
        assert_eq!(
            same_as_serde_json(&BTreeMap::from([('k', 1)])),
            r#"{"k":1}"#
        );
        assert_eq!(
            same_as_serde_json(&BTreeMap::from(
                [(Shape::Unit, 1)].map(|(k, v)| (KeyShape(k), v))
            )),
            r#"{"Unit":1}"#
        );
        assert_eq!(same_as_serde_json(&BTreeMap::<String, u8>::new()), "{}");
    }

    /// A unit variant as a map key (ordered by nothing: there is one).
    struct KeyShape(Shape);

    impl Serialize for KeyShape {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            self.0.serialize(serializer)
        }
    }

    impl PartialEq for KeyShape {
        fn eq(&self, _: &Self) -> bool {
            true
        }
    }

    impl Eq for KeyShape {}

    impl PartialOrd for KeyShape {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }

    impl Ord for KeyShape {
        fn cmp(&self, _: &Self) -> std::cmp::Ordering {
            std::cmp::Ordering::Equal
        }
    }

    #[test]
    fn a_key_json_cannot_have_is_refused_as_serde_json_refuses_it() {
        let keyed_by_list = BTreeMap::from([(vec![1], 1)]);
        let mut out = Vec::new();
        assert_eq!(
            to_vec(&mut out, &keyed_by_list),
            Err(Error("a key must be a string".to_owned()))
        );
        assert!(serde_json::to_vec(&keyed_by_list).is_err());
        let keyed_by_nan = BTreeMap::from([(KeyNan, 1)]);
        assert_eq!(
            to_vec(&mut Vec::new(), &keyed_by_nan),
            Err(Error("a float key must be finite".to_owned()))
        );
        assert!(serde_json::to_vec(&keyed_by_nan).is_err());
    }

    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    struct KeyNan;

    impl Serialize for KeyNan {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_f64(f64::NAN)
        }
    }

    #[test]
    fn what_a_value_reports_is_the_error() {
        struct Failing;
        impl Serialize for Failing {
            fn serialize<S: ser::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(ser::Error::custom("no amount"))
            }
        }
        assert_eq!(
            to_vec(&mut Vec::new(), &[Failing]),
            Err(Error("no amount".to_owned()))
        );
    }

    #[test]
    fn the_form3_sample_attributes_are_written_as_serde_json_writes_them() {
        let attributes = payments_ports::testkit::fixtures::form3_attributes();
        let view = payments_domain::PaymentAttributesView::from(&attributes);
        let written: Value = serde_json::from_str(&same_as_serde_json(&view)).unwrap();
        assert_eq!(
            written,
            payments_ports::testkit::fixtures::form3_attributes_json()
        );
    }

    /// Any JSON document: what serde_json reads, of any depth up to four.
    fn documents() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_document_is_written_as_serde_json_writes_it(document in documents()) {
            let mut ours = Vec::new();
            to_vec(&mut ours, &document).unwrap();
            prop_assert_eq!(ours, serde_json::to_vec(&document).unwrap());
        }
    }
}
