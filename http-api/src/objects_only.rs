//! A deserializer that reads a struct only from a JSON object.
//!
//! serde's derived structs also accept a sequence, member by member in
//! declaration order, so `"debtor_party": ["Ada", "GB29..."]` would be
//! read as if its members had been named. [`ObjectsOnly`] wraps a
//! deserializer, and every deserializer it hands out for nested values, and
//! asks for a map wherever the target type asks for a struct: an array
//! there is then a data error ("invalid type: sequence, expected a JSON
//! object"), which the body reader reports as a 422 at its pointer.
//!
//! It also reads a whole number written with a fraction of zero
//! (`10153.0`) where an integer belongs: JSON Schema counts it an
//! integer, and so do the JSON readers of many clients, which cannot tell
//! `1.0` from `1`. Only up to 2^53, the last whole number a double holds
//! exactly: beyond, `9007199254740993.0` has already become another
//! number when it is parsed, and is refused as a float.
//! Everything else passes through unchanged.

use std::fmt;

use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

/// `D`, reading structs from objects only.
pub struct ObjectsOnly<D>(pub D);

/// Forwards `deserialize_*` methods that take only a visitor.
macro_rules! forward {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
                self.0.$method(Wrap(visitor))
            }
        )*
    };
}

/// Forwards the integer `deserialize_*` methods, reading a whole float
/// as the integer it is ([`Whole`]).
macro_rules! whole {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
                self.0.$method(Whole(visitor))
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectsOnly<D> {
    type Error = D::Error;

    forward! {
        deserialize_any deserialize_bool deserialize_i128 deserialize_u128 deserialize_f32
        deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier deserialize_ignored_any
    }

    whole! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_u8
        deserialize_u16 deserialize_u32 deserialize_u64
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Wrap(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Wrap(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Wrap(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Wrap(visitor))
    }

    /// The one change: a struct is read as a map, so only an object fits.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(Object(visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Wrap(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// A visitor whose nested deserializers read structs from objects only.
struct Wrap<V>(V);

/// [`Wrap`] at a struct's place: says it expects an object, not the Rust
/// type's name.
struct Object<V>(V);

/// Forwards `visit_*` methods of plain values.
macro_rules! visit {
    ($($method:ident: $ty:ty)*) => {
        $(
            fn $method<E: serde::de::Error>(self, value: $ty) -> Result<Self::Value, E> {
                self.0.$method(value)
            }
        )*
    };
}

/// The visitor methods [`Wrap`] and [`Object`] share.
macro_rules! visitor_body {
    () => {
        type Value = V::Value;

        visit! {
            visit_bool: bool visit_i8: i8 visit_i16: i16 visit_i32: i32 visit_i64: i64
            visit_i128: i128 visit_u8: u8 visit_u16: u16 visit_u32: u32 visit_u64: u64
            visit_u128: u128 visit_f32: f32 visit_f64: f64 visit_char: char
            visit_str: &str visit_borrowed_str: &'de str visit_string: String
            visit_bytes: &[u8] visit_borrowed_bytes: &'de [u8] visit_byte_buf: Vec<u8>
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            self.0.visit_none()
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            self.0.visit_unit()
        }

        fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
            self.0.visit_some(ObjectsOnly(inner))
        }

        fn visit_newtype_struct<D: Deserializer<'de>>(
            self,
            inner: D,
        ) -> Result<Self::Value, D::Error> {
            self.0.visit_newtype_struct(ObjectsOnly(inner))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<Self::Value, A::Error> {
            self.0.visit_seq(Items(items))
        }

        fn visit_map<A: MapAccess<'de>>(self, members: A) -> Result<Self::Value, A::Error> {
            self.0.visit_map(Members(members))
        }

        fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
            self.0.visit_enum(Variants(data))
        }
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    visitor_body!();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Object<V> {
    visitor_body!();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
}

/// A visitor of an integer that also takes a float with no fraction, up
/// to 2^53 either way; the integer's own visitor then checks its range.
struct Whole<V>(V);

/// The largest whole number every double holds exactly, 2^53.
const EXACT_IN_A_DOUBLE: f64 = 9_007_199_254_740_992.0;

impl<'de, V: Visitor<'de>> Visitor<'de> for Whole<V> {
    type Value = V::Value;

    visit! {
        visit_i8: i8 visit_i16: i16 visit_i32: i32 visit_i64: i64 visit_u8: u8
        visit_u16: u16 visit_u32: u32 visit_u64: u64
    }

    #[allow(clippy::cast_possible_truncation)] // whole and within 2^53: exact
    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Self::Value, E> {
        if value.fract() == 0.0 && value.abs() <= EXACT_IN_A_DOUBLE {
            self.0.visit_i64(value as i64)
        } else {
            self.0.visit_f64(value)
        }
    }

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
}

/// A seed whose deserializer reads structs from objects only.
struct Seed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(ObjectsOnly(deserializer))
    }
}

/// A sequence's items, each read with [`ObjectsOnly`].
struct Items<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Items<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// An object's members, each value read with [`ObjectsOnly`].
struct Members<A>(A);

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Members<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Seed(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// An enum's variant, its contents read with [`ObjectsOnly`].
struct Variants<A>(A);

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Variants<A> {
    type Error = A::Error;
    type Variant = Variant<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), A::Error> {
        let (value, variant) = self.0.variant_seed(Seed(seed))?;
        Ok((value, Variant(variant)))
    }
}

struct Variant<A>(A);

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Wrap(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Object(visitor))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Party {
        name: String,
        account: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Document {
        party: Option<Party>,
        parties: Vec<Party>,
        pair: (u8, u8),
    }

    fn read(json: &str) -> Result<Document, String> {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        Document::deserialize(ObjectsOnly(&mut deserializer)).map_err(|e| {
            let text = e.to_string();
            text[..text.find(" at line").unwrap_or(text.len())].to_owned()
        })
    }

    #[test]
    fn objects_read_as_before_and_tuples_stay_arrays() {
        assert_eq!(
            read(
                r#"{"party": {"name": "Ada", "account": null}, "parties": [{"name": "Bo", "account": "1"}], "pair": [1, 2]}"#
            ),
            Ok(Document {
                party: Some(Party {
                    name: "Ada".into(),
                    account: None
                }),
                parties: vec![Party {
                    name: "Bo".into(),
                    account: Some("1".into())
                }],
                pair: (1, 2),
            })
        );
    }

    #[test]
    fn a_whole_number_written_with_a_zero_fraction_is_an_integer() {
        let document = |pair: &str| read(&format!(r#"{{"parties": [], "pair": {pair}}}"#));
        assert_eq!(document("[1.0, 2]").unwrap().pair, (1, 2));
        assert_eq!(
            document("[1.5, 2]").unwrap_err(),
            "invalid type: floating point `1.5`, expected u8"
        );
        assert_eq!(
            document("[256.0, 2]").unwrap_err(),
            "invalid value: integer `256`, expected u8"
        );
        assert_eq!(
            document("[-1.0, 2]").unwrap_err(),
            "invalid value: integer `-1`, expected u8"
        );
        let beyond_exact = u64::deserialize(ObjectsOnly(&mut serde_json::Deserializer::from_str(
            "9007199254740994.0",
        )));
        assert!(beyond_exact.is_err(), "{beyond_exact:?}");
    }

    #[test]
    fn an_array_where_a_struct_belongs_is_refused_at_any_depth() {
        let refused = "invalid type: sequence, expected a JSON object";
        assert_eq!(read(r#"["Ada", null]"#).unwrap_err(), refused);
        assert_eq!(
            read(r#"{"party": ["Ada", null], "parties": [], "pair": [1, 2]}"#).unwrap_err(),
            refused
        );
        assert_eq!(
            read(r#"{"party": null, "parties": [["Bo", "1"]], "pair": [1, 2]}"#).unwrap_err(),
            refused
        );
    }
}
