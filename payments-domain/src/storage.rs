//! The storage form of a payment's attributes: the document every store
//! keeps, owned by the domain and apart from any wire format.
//!
//! A store of payments is a record: what it accepted once it must return
//! for ever, whatever the rules become. So reading a document back checks
//! its *shape* only (the JSON types, the required members, that a decimal
//! is a decimal and a currency is three upper-case letters) and never
//! *policy* (which currencies are in use, how long a text may be, how an
//! account number looks). Policy is applied where attributes come in from
//! a client ([`PaymentAttributesInput`](crate::PaymentAttributesInput)),
//! never on the way out of a store.
//!
//! Every document is stored with its [`StorageFormat`], kept beside it (a
//! column, an item attribute) rather than inside it, so a release that
//! reads the document without knowing formats still can. Format 1 has the
//! same members as the documents written before formats were recorded
//! (format 0): the Form3 attribute names, every decimal as the string it
//! was written as ("5.00" stays "5.00"). A later format that changes the
//! document gets a new number here, and this module keeps reading every
//! older one.
//!
//! ```
//! use payments_domain::{PaymentAttributesInput, StorageFormat, StoredAttributes};
//!
//! let attributes = PaymentAttributesInput {
//!     amount: Some("5.00".into()),
//!     currency: Some("GBP".into()),
//!     ..Default::default()
//! }
//! .validate()
//! .unwrap();
//! let stored = StoredAttributes::from(&attributes);
//! assert_eq!(stored.restore(StorageFormat::CURRENT).unwrap(), attributes);
//! ```

use serde::{Deserialize, Serialize};

use crate::attributes::{ChargesInformation, Fx, Party, PaymentAttributes, SponsorParty};
use crate::currency::Currency;
use crate::input::string;
use crate::money::{Amount, ExchangeRate, Money};
use crate::text::{AccountNumber, AccountNumberCode, BearerCode, NumericReference, Text};
use crate::time::{Date, Timestamp};

/// The version of the storage form a document was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StorageFormat(u16);

impl StorageFormat {
    /// Documents written before formats were recorded: read as format 1.
    pub const UNRECORDED: StorageFormat = StorageFormat(0);
    /// The format this release writes.
    pub const CURRENT: StorageFormat = StorageFormat(1);

    /// The format numbered `number`, if this release can read it.
    ///
    /// # Errors
    /// [`UnreadableAttributes`] for a format newer than this release: it
    /// was written by a later release, and reading it as an older format
    /// could drop what that release added.
    pub fn from_number(number: u16) -> Result<Self, UnreadableAttributes> {
        if number <= Self::CURRENT.0 {
            Ok(Self(number))
        } else {
            Err(UnreadableAttributes(format!(
                "storage format {number} is newer than this release reads (up to {})",
                Self::CURRENT.0
            )))
        }
    }

    /// The number stores keep.
    pub fn number(self) -> u16 {
        self.0
    }
}

/// A stored document that cannot be read as payment attributes: damaged,
/// or written by a newer release. The message names members, never values
/// (values may be personal data, and the message reaches logs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored attributes cannot be read: {0}")]
pub struct UnreadableAttributes(String);

/// Payment attributes in their storage form. Serialise it with serde (a
/// JSON object with absent members left out); read it back with
/// [`StoredAttributes::restore`]. Members the format does not define make
/// the document unreadable rather than being dropped: they would be lost
/// on the next write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredAttributes {
    amount: String,
    currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    beneficiary_party: Option<StoredParty>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    charges_information: Option<StoredCharges>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    debtor_party: Option<StoredParty>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end_to_end_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fx: Option<StoredFx>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    numeric_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payment_purpose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payment_scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payment_timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payment_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    processing_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scheme_payment_sub_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scheme_payment_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sponsor_party: Option<StoredSponsorParty>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredParty {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account_number_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account_type: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bank_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bank_id_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredSponsorParty {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bank_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bank_id_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredCharges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bearer_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    receiver_charges_amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    receiver_charges_currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sender_charges: Option<Vec<StoredMoney>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredMoney {
    amount: String,
    currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredFx {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contract_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exchange_rate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    original_amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    original_currency: Option<String>,
}

/// Reads members back, remembering the first that does not have its shape.
/// Shape failures are rare (damage, or a bug), so one is enough to report.
struct Reader {
    problem: Option<String>,
}

impl Reader {
    fn read<T>(&mut self, path: &str, value: Result<T, String>) -> Option<T> {
        match value {
            Ok(value) => Some(value),
            Err(problem) => {
                // Only the path and the kind of problem: no stored value.
                self.problem
                    .get_or_insert_with(|| format!("{path} {}", without_values(&problem)));
                None
            }
        }
    }

    fn optional<T>(
        &mut self,
        path: &str,
        value: Option<&String>,
        read: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        value.and_then(|text| self.read(path, read(text)))
    }

    /// An amount and its currency, stored as two members of the object at
    /// `path`.
    fn money(
        &mut self,
        path: &str,
        (amount_name, amount): (&str, &str),
        (currency_name, currency): (&str, &str),
    ) -> Option<Money> {
        let amount = self.read(&format!("{path}{amount_name}"), Amount::from_stored(amount));
        let currency = self.read(
            &format!("{path}{currency_name}"),
            Currency::from_stored(currency),
        );
        Some(Money::from_stored(amount?, currency?))
    }

    /// A pair of optional members that must be both present or both absent.
    fn optional_money(
        &mut self,
        path: &str,
        (amount_name, amount): (&str, Option<&String>),
        (currency_name, currency): (&str, Option<&String>),
    ) -> Option<Money> {
        match (amount, currency) {
            (Some(amount), Some(currency)) => {
                self.money(path, (amount_name, amount), (currency_name, currency))
            }
            (None, None) => None,
            _ => self.read(
                &format!("{path}{amount_name}"),
                Err(format!("and {currency_name} must be stored together")),
            ),
        }
    }
}

/// The problem without anything quoted from the value.
fn without_values(problem: &str) -> &str {
    match problem.find('"') {
        Some(_) => "does not have its stored shape",
        None => problem,
    }
}

fn text(value: Option<&String>) -> Option<Text> {
    value.map(|text| Text::from_stored(text))
}

impl StoredAttributes {
    /// The attributes this document holds, read by shape only (see the
    /// module docs), as written in `format`.
    ///
    /// # Errors
    /// [`UnreadableAttributes`] naming the first member that does not have
    /// its shape.
    pub fn restore(self, format: StorageFormat) -> Result<PaymentAttributes, UnreadableAttributes> {
        // Formats 0 and 1 have the same members.
        debug_assert!(format <= StorageFormat::CURRENT);
        let mut reader = Reader { problem: None };
        let money = reader.money("", ("amount", &self.amount), ("currency", &self.currency));
        let Some(money) = money else {
            return Err(UnreadableAttributes(reader.problem.unwrap_or_default()));
        };
        let beneficiary_party = self.beneficiary_party.as_ref().map(Party::from);
        let debtor_party = self.debtor_party.as_ref().map(Party::from);
        let charges_information = self.charges_information.map(|charges| ChargesInformation {
            bearer_code: charges.bearer_code.as_deref().map(BearerCode::from_stored),
            receiver_charges: reader.optional_money(
                "charges_information.",
                (
                    "receiver_charges_amount",
                    charges.receiver_charges_amount.as_ref(),
                ),
                (
                    "receiver_charges_currency",
                    charges.receiver_charges_currency.as_ref(),
                ),
            ),
            sender_charges: charges.sender_charges.map(|list| {
                list.iter()
                    .enumerate()
                    .filter_map(|(index, charge)| {
                        reader.money(
                            &format!("charges_information.sender_charges[{index}]."),
                            ("amount", &charge.amount),
                            ("currency", &charge.currency),
                        )
                    })
                    .collect()
            }),
        });
        let fx = self.fx.map(|fx| Fx {
            contract_reference: text(fx.contract_reference.as_ref()),
            exchange_rate: reader.optional(
                "fx.exchange_rate",
                fx.exchange_rate.as_ref(),
                ExchangeRate::from_stored,
            ),
            original: reader.optional_money(
                "fx.",
                ("original_amount", fx.original_amount.as_ref()),
                ("original_currency", fx.original_currency.as_ref()),
            ),
        });
        let payment_timestamp = reader.optional(
            "payment_timestamp",
            self.payment_timestamp.as_ref(),
            Timestamp::parse,
        );
        let processing_date = reader.optional(
            "processing_date",
            self.processing_date.as_ref(),
            Date::parse,
        );
        let attributes = PaymentAttributes {
            money,
            beneficiary_party,
            charges_information,
            debtor_party,
            description: text(self.description.as_ref()),
            end_to_end_reference: text(self.end_to_end_reference.as_ref()),
            fx,
            numeric_reference: self
                .numeric_reference
                .as_deref()
                .map(NumericReference::from_stored),
            payment_id: text(self.payment_id.as_ref()),
            payment_purpose: text(self.payment_purpose.as_ref()),
            payment_scheme: text(self.payment_scheme.as_ref()),
            payment_timestamp,
            payment_type: text(self.payment_type.as_ref()),
            processing_date,
            reference: text(self.reference.as_ref()),
            scheme_payment_sub_type: text(self.scheme_payment_sub_type.as_ref()),
            scheme_payment_type: text(self.scheme_payment_type.as_ref()),
            sponsor_party: self.sponsor_party.map(|party| SponsorParty {
                account_number: party
                    .account_number
                    .as_deref()
                    .map(AccountNumber::from_stored),
                bank_id: text(party.bank_id.as_ref()),
                bank_id_code: text(party.bank_id_code.as_ref()),
            }),
        };
        match reader.problem {
            None => Ok(attributes),
            Some(problem) => Err(UnreadableAttributes(problem)),
        }
    }
}

fn stored_money(money: &Money) -> StoredMoney {
    StoredMoney {
        amount: money.amount().to_string(),
        currency: money.currency().to_string(),
    }
}

impl From<&StoredParty> for Party {
    fn from(party: &StoredParty) -> Self {
        Self {
            account_name: text(party.account_name.as_ref()),
            account_number: party
                .account_number
                .as_deref()
                .map(AccountNumber::from_stored),
            account_number_code: party
                .account_number_code
                .as_deref()
                .map(AccountNumberCode::from_stored),
            account_type: party.account_type,
            address: text(party.address.as_ref()),
            bank_id: text(party.bank_id.as_ref()),
            bank_id_code: text(party.bank_id_code.as_ref()),
            name: text(party.name.as_ref()),
        }
    }
}

impl From<&Party> for StoredParty {
    fn from(party: &Party) -> Self {
        Self {
            account_name: string(party.account_name.as_ref()),
            account_number: party.account_number.as_ref().map(|n| n.as_str().to_owned()),
            account_number_code: party
                .account_number_code
                .as_ref()
                .map(|code| code.code().to_owned()),
            account_type: party.account_type,
            address: string(party.address.as_ref()),
            bank_id: string(party.bank_id.as_ref()),
            bank_id_code: string(party.bank_id_code.as_ref()),
            name: string(party.name.as_ref()),
        }
    }
}

impl From<&PaymentAttributes> for StoredAttributes {
    fn from(attributes: &PaymentAttributes) -> Self {
        let money = stored_money(&attributes.money);
        Self {
            amount: money.amount,
            currency: money.currency,
            beneficiary_party: attributes.beneficiary_party.as_ref().map(StoredParty::from),
            charges_information: attributes.charges_information.as_ref().map(|charges| {
                let receiver = charges.receiver_charges.as_ref().map(stored_money);
                StoredCharges {
                    bearer_code: charges.bearer_code.as_ref().map(|c| c.code().to_owned()),
                    receiver_charges_amount: receiver.as_ref().map(|m| m.amount.clone()),
                    receiver_charges_currency: receiver.map(|m| m.currency),
                    sender_charges: charges
                        .sender_charges
                        .as_ref()
                        .map(|list| list.iter().map(stored_money).collect()),
                }
            }),
            debtor_party: attributes.debtor_party.as_ref().map(StoredParty::from),
            description: string(attributes.description.as_ref()),
            end_to_end_reference: string(attributes.end_to_end_reference.as_ref()),
            fx: attributes.fx.as_ref().map(|fx| {
                let original = fx.original.as_ref().map(stored_money);
                StoredFx {
                    contract_reference: string(fx.contract_reference.as_ref()),
                    exchange_rate: string(fx.exchange_rate.as_ref()),
                    original_amount: original.as_ref().map(|m| m.amount.clone()),
                    original_currency: original.map(|m| m.currency),
                }
            }),
            numeric_reference: attributes
                .numeric_reference
                .as_ref()
                .map(|r| r.as_str().to_owned()),
            payment_id: string(attributes.payment_id.as_ref()),
            payment_purpose: string(attributes.payment_purpose.as_ref()),
            payment_scheme: string(attributes.payment_scheme.as_ref()),
            payment_timestamp: string(attributes.payment_timestamp.as_ref()),
            payment_type: string(attributes.payment_type.as_ref()),
            processing_date: string(attributes.processing_date.as_ref()),
            reference: string(attributes.reference.as_ref()),
            scheme_payment_sub_type: string(attributes.scheme_payment_sub_type.as_ref()),
            scheme_payment_type: string(attributes.scheme_payment_type.as_ref()),
            sponsor_party: attributes
                .sponsor_party
                .as_ref()
                .map(|party| StoredSponsorParty {
                    account_number: party.account_number.as_ref().map(|n| n.as_str().to_owned()),
                    bank_id: string(party.bank_id.as_ref()),
                    bank_id_code: string(party.bank_id_code.as_ref()),
                }),
        }
    }
}
