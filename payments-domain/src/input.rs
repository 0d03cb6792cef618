//! Payment attributes as a client writes them: every value as text, nothing
//! checked yet. [`PaymentAttributesInput::validate`] turns them into
//! [`PaymentAttributes`], reporting every problem at once.
//!
//! The same shape is the Form3 attribute JSON (snake_case, absent values
//! left out), so it doubles as the serialised form of a stored payment and
//! as a partial update (only the attributes given change, see
//! [`PaymentAttributesInput::merge`]).

use serde::{Deserialize, Serialize};

use crate::attributes::{ChargesInformation, Fx, Party, PaymentAttributes, SponsorParty};
use crate::currency::Currency;
use crate::money::{Amount, ExchangeRate, Money};
use crate::text::{AccountNumber, AccountNumberCode, BearerCode, NumericReference, Text};
use crate::time::{Date, Timestamp};
use crate::validation::{FieldPath, ValidationErrors};

/// The longest free text accepted for names, addresses, references and
/// scheme fields.
pub const MAX_TEXT_CHARS: usize = 255;
/// The longest description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;

/// Unchecked payment attributes in the Form3 JSON shape.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // each field is the Form3 attribute of the same name
pub struct PaymentAttributesInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beneficiary_party: Option<PartyInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charges_information: Option<ChargesInformationInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debtor_party: Option<PartyInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_to_end_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fx: Option<FxInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numeric_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_purpose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme_payment_sub_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme_payment_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sponsor_party: Option<SponsorPartyInput>,
}

/// Unchecked beneficiary or debtor party.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PartyInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_number_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_id_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Unchecked sponsor party.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SponsorPartyInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_id_code: Option<String>,
}

/// Unchecked charges information.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ChargesInformationInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_charges_amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_charges_currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_charges: Option<Vec<ChargeInput>>,
}

/// One unchecked sender charge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ChargeInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// Unchecked FX details.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct FxInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_rate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_currency: Option<String>,
}

/// Parses an optional value, recording a failure at `path`.
fn optional<T>(
    errors: &mut ValidationErrors,
    path: FieldPath,
    value: Option<&String>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    match parse(value?) {
        Ok(parsed) => Some(parsed),
        Err(message) => {
            errors.push(path, message);
            None
        }
    }
}

fn text(errors: &mut ValidationErrors, path: FieldPath, value: Option<&String>) -> Option<Text> {
    optional(errors, path, value, |v| Text::parse(v, MAX_TEXT_CHARS))
}

/// Checks an amount and its currency, given as two attributes, together:
/// each alone for its own form, then the amount's places against the
/// currency. One without the other is an error on the missing one.
fn money(
    errors: &mut ValidationErrors,
    (amount_path, amount): (FieldPath, Option<&String>),
    (currency_path, currency): (FieldPath, Option<&String>),
    required: bool,
) -> Option<Money> {
    let missing = |other: &str| {
        if required {
            "is required".to_owned()
        } else {
            format!("is required when {other} is given")
        }
    };
    if amount.is_none() && currency.is_none() && !required {
        return None;
    }
    if amount.is_none() {
        errors.push(amount_path.clone(), missing(&currency_path.to_string()));
    }
    if currency.is_none() {
        errors.push(currency_path.clone(), missing(&amount_path.to_string()));
    }
    let parsed_amount = optional(errors, amount_path.clone(), amount, Amount::parse);
    let parsed_currency = optional(errors, currency_path, currency, Currency::parse);
    let (amount, currency) = (parsed_amount?, parsed_currency?);
    errors.check(&amount_path, Money::new(amount, currency))
}

impl PaymentAttributesInput {
    /// Checks every attribute, collecting every problem with the path of the
    /// attribute it concerns (below `attributes`).
    ///
    /// # Errors
    /// All problems found, when there is at least one.
    #[allow(clippy::too_many_lines)] // one statement per attribute; splitting would scatter the list
    pub fn validate(&self) -> Result<PaymentAttributes, ValidationErrors> {
        let root = FieldPath::root().field("attributes");
        let mut errors = ValidationErrors::new();
        let at = |name| root.field(name);

        let money = money(
            &mut errors,
            (at("amount"), self.amount.as_ref()),
            (at("currency"), self.currency.as_ref()),
            true,
        );
        let beneficiary_party = self
            .beneficiary_party
            .as_ref()
            .map(|party| party.validate(&mut errors, &at("beneficiary_party")));
        let charges_information = self
            .charges_information
            .as_ref()
            .map(|charges| charges.validate(&mut errors, &at("charges_information")));
        let debtor_party = self
            .debtor_party
            .as_ref()
            .map(|party| party.validate(&mut errors, &at("debtor_party")));
        let description = optional(
            &mut errors,
            at("description"),
            self.description.as_ref(),
            |v| Text::parse(v, MAX_DESCRIPTION_CHARS),
        );
        let end_to_end_reference = text(
            &mut errors,
            at("end_to_end_reference"),
            self.end_to_end_reference.as_ref(),
        );
        let fx = self
            .fx
            .as_ref()
            .map(|fx| fx.validate(&mut errors, &at("fx")));
        let numeric_reference = optional(
            &mut errors,
            at("numeric_reference"),
            self.numeric_reference.as_ref(),
            NumericReference::parse,
        );
        let payment_id = text(&mut errors, at("payment_id"), self.payment_id.as_ref());
        let payment_purpose = text(
            &mut errors,
            at("payment_purpose"),
            self.payment_purpose.as_ref(),
        );
        let payment_scheme = text(
            &mut errors,
            at("payment_scheme"),
            self.payment_scheme.as_ref(),
        );
        let payment_timestamp = optional(
            &mut errors,
            at("payment_timestamp"),
            self.payment_timestamp.as_ref(),
            Timestamp::parse,
        );
        let payment_type = text(&mut errors, at("payment_type"), self.payment_type.as_ref());
        let processing_date = optional(
            &mut errors,
            at("processing_date"),
            self.processing_date.as_ref(),
            Date::parse,
        );
        let reference = text(&mut errors, at("reference"), self.reference.as_ref());
        let scheme_payment_sub_type = text(
            &mut errors,
            at("scheme_payment_sub_type"),
            self.scheme_payment_sub_type.as_ref(),
        );
        let scheme_payment_type = text(
            &mut errors,
            at("scheme_payment_type"),
            self.scheme_payment_type.as_ref(),
        );
        let sponsor_party = self
            .sponsor_party
            .as_ref()
            .map(|party| party.validate(&mut errors, &at("sponsor_party")));

        match money {
            Some(money) if errors.is_empty() => Ok(PaymentAttributes {
                money,
                beneficiary_party,
                charges_information,
                debtor_party,
                description,
                end_to_end_reference,
                fx,
                numeric_reference,
                payment_id,
                payment_purpose,
                payment_scheme,
                payment_timestamp,
                payment_type,
                processing_date,
                reference,
                scheme_payment_sub_type,
                scheme_payment_type,
                sponsor_party,
            }),
            _ => Err(errors),
        }
    }

    /// These attributes with every attribute that `patch` gives replaced by
    /// the patch's value. Objects (parties, charges, fx) merge member by
    /// member; the `sender_charges` list is replaced whole. Absent
    /// attributes in the patch leave the current ones as they are.
    #[must_use]
    pub fn merge(self, patch: PaymentAttributesInput) -> PaymentAttributesInput {
        PaymentAttributesInput {
            amount: patch.amount.or(self.amount),
            beneficiary_party: merge_nested(
                self.beneficiary_party,
                patch.beneficiary_party,
                PartyInput::merge,
            ),
            charges_information: merge_nested(
                self.charges_information,
                patch.charges_information,
                ChargesInformationInput::merge,
            ),
            currency: patch.currency.or(self.currency),
            debtor_party: merge_nested(self.debtor_party, patch.debtor_party, PartyInput::merge),
            description: patch.description.or(self.description),
            end_to_end_reference: patch.end_to_end_reference.or(self.end_to_end_reference),
            fx: merge_nested(self.fx, patch.fx, FxInput::merge),
            numeric_reference: patch.numeric_reference.or(self.numeric_reference),
            payment_id: patch.payment_id.or(self.payment_id),
            payment_purpose: patch.payment_purpose.or(self.payment_purpose),
            payment_scheme: patch.payment_scheme.or(self.payment_scheme),
            payment_timestamp: patch.payment_timestamp.or(self.payment_timestamp),
            payment_type: patch.payment_type.or(self.payment_type),
            processing_date: patch.processing_date.or(self.processing_date),
            reference: patch.reference.or(self.reference),
            scheme_payment_sub_type: patch
                .scheme_payment_sub_type
                .or(self.scheme_payment_sub_type),
            scheme_payment_type: patch.scheme_payment_type.or(self.scheme_payment_type),
            sponsor_party: merge_nested(
                self.sponsor_party,
                patch.sponsor_party,
                SponsorPartyInput::merge,
            ),
        }
    }

    /// Whether no attribute is given at all.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

fn merge_nested<T>(current: Option<T>, patch: Option<T>, merge: fn(T, T) -> T) -> Option<T> {
    match (current, patch) {
        (Some(current), Some(patch)) => Some(merge(current, patch)),
        (current, patch) => patch.or(current),
    }
}

impl PartyInput {
    fn validate(&self, errors: &mut ValidationErrors, path: &FieldPath) -> Party {
        let account_number_code = optional(
            errors,
            path.field("account_number_code"),
            self.account_number_code.as_ref(),
            AccountNumberCode::parse,
        );
        Party {
            account_name: text(
                errors,
                path.field("account_name"),
                self.account_name.as_ref(),
            ),
            account_number: optional(
                errors,
                path.field("account_number"),
                self.account_number.as_ref(),
                |v| AccountNumber::parse(v, account_number_code),
            ),
            account_number_code,
            account_type: self.account_type,
            address: text(errors, path.field("address"), self.address.as_ref()),
            bank_id: text(errors, path.field("bank_id"), self.bank_id.as_ref()),
            bank_id_code: text(
                errors,
                path.field("bank_id_code"),
                self.bank_id_code.as_ref(),
            ),
            name: text(errors, path.field("name"), self.name.as_ref()),
        }
    }

    fn merge(self, patch: Self) -> Self {
        Self {
            account_name: patch.account_name.or(self.account_name),
            account_number: patch.account_number.or(self.account_number),
            account_number_code: patch.account_number_code.or(self.account_number_code),
            account_type: patch.account_type.or(self.account_type),
            address: patch.address.or(self.address),
            bank_id: patch.bank_id.or(self.bank_id),
            bank_id_code: patch.bank_id_code.or(self.bank_id_code),
            name: patch.name.or(self.name),
        }
    }
}

impl SponsorPartyInput {
    fn validate(&self, errors: &mut ValidationErrors, path: &FieldPath) -> SponsorParty {
        SponsorParty {
            account_number: optional(
                errors,
                path.field("account_number"),
                self.account_number.as_ref(),
                |v| AccountNumber::parse(v, None),
            ),
            bank_id: text(errors, path.field("bank_id"), self.bank_id.as_ref()),
            bank_id_code: text(
                errors,
                path.field("bank_id_code"),
                self.bank_id_code.as_ref(),
            ),
        }
    }

    fn merge(self, patch: Self) -> Self {
        Self {
            account_number: patch.account_number.or(self.account_number),
            bank_id: patch.bank_id.or(self.bank_id),
            bank_id_code: patch.bank_id_code.or(self.bank_id_code),
        }
    }
}

impl ChargesInformationInput {
    fn validate(&self, errors: &mut ValidationErrors, path: &FieldPath) -> ChargesInformation {
        let bearer_code = optional(
            errors,
            path.field("bearer_code"),
            self.bearer_code.as_ref(),
            BearerCode::parse,
        );
        let receiver_charges = money(
            errors,
            (
                path.field("receiver_charges_amount"),
                self.receiver_charges_amount.as_ref(),
            ),
            (
                path.field("receiver_charges_currency"),
                self.receiver_charges_currency.as_ref(),
            ),
            false,
        );
        let sender_charges = self.sender_charges.as_ref().map(|charges| {
            let list = path.field("sender_charges");
            charges
                .iter()
                .enumerate()
                .filter_map(|(index, charge)| {
                    let item = list.index(index);
                    money(
                        errors,
                        (item.field("amount"), charge.amount.as_ref()),
                        (item.field("currency"), charge.currency.as_ref()),
                        true,
                    )
                })
                .collect()
        });
        ChargesInformation {
            bearer_code,
            receiver_charges,
            sender_charges,
        }
    }

    fn merge(self, patch: Self) -> Self {
        Self {
            bearer_code: patch.bearer_code.or(self.bearer_code),
            receiver_charges_amount: patch
                .receiver_charges_amount
                .or(self.receiver_charges_amount),
            receiver_charges_currency: patch
                .receiver_charges_currency
                .or(self.receiver_charges_currency),
            sender_charges: patch.sender_charges.or(self.sender_charges),
        }
    }
}

impl FxInput {
    fn validate(&self, errors: &mut ValidationErrors, path: &FieldPath) -> Fx {
        Fx {
            contract_reference: text(
                errors,
                path.field("contract_reference"),
                self.contract_reference.as_ref(),
            ),
            exchange_rate: optional(
                errors,
                path.field("exchange_rate"),
                self.exchange_rate.as_ref(),
                ExchangeRate::parse,
            ),
            original: money(
                errors,
                (path.field("original_amount"), self.original_amount.as_ref()),
                (
                    path.field("original_currency"),
                    self.original_currency.as_ref(),
                ),
                false,
            ),
        }
    }

    fn merge(self, patch: Self) -> Self {
        Self {
            contract_reference: patch.contract_reference.or(self.contract_reference),
            exchange_rate: patch.exchange_rate.or(self.exchange_rate),
            original_amount: patch.original_amount.or(self.original_amount),
            original_currency: patch.original_currency.or(self.original_currency),
        }
    }
}

fn string<T: ToString>(value: Option<&T>) -> Option<String> {
    value.map(ToString::to_string)
}

fn amount_and_currency(money: Option<&Money>) -> (Option<String>, Option<String>) {
    money.map_or((None, None), |money| {
        (
            Some(money.amount().to_string()),
            Some(money.currency().to_string()),
        )
    })
}

impl From<PaymentAttributes> for PaymentAttributesInput {
    fn from(attributes: PaymentAttributes) -> Self {
        Self::from(&attributes)
    }
}

impl From<&PaymentAttributes> for PaymentAttributesInput {
    fn from(attributes: &PaymentAttributes) -> Self {
        Self {
            amount: Some(attributes.money.amount().to_string()),
            beneficiary_party: attributes.beneficiary_party.as_ref().map(PartyInput::from),
            charges_information: attributes.charges_information.as_ref().map(|charges| {
                let (receiver_charges_amount, receiver_charges_currency) =
                    amount_and_currency(charges.receiver_charges.as_ref());
                ChargesInformationInput {
                    bearer_code: charges.bearer_code.map(|code| code.code().to_owned()),
                    receiver_charges_amount,
                    receiver_charges_currency,
                    sender_charges: charges.sender_charges.as_ref().map(|list| {
                        list.iter()
                            .map(|charge| {
                                let (amount, currency) = amount_and_currency(Some(charge));
                                ChargeInput { amount, currency }
                            })
                            .collect()
                    }),
                }
            }),
            currency: Some(attributes.money.currency().to_string()),
            debtor_party: attributes.debtor_party.as_ref().map(PartyInput::from),
            description: string(attributes.description.as_ref()),
            end_to_end_reference: string(attributes.end_to_end_reference.as_ref()),
            fx: attributes.fx.as_ref().map(|fx| {
                let (original_amount, original_currency) =
                    amount_and_currency(fx.original.as_ref());
                FxInput {
                    contract_reference: string(fx.contract_reference.as_ref()),
                    exchange_rate: string(fx.exchange_rate.as_ref()),
                    original_amount,
                    original_currency,
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
                .map(|party| SponsorPartyInput {
                    account_number: party.account_number.as_ref().map(|n| n.as_str().to_owned()),
                    bank_id: string(party.bank_id.as_ref()),
                    bank_id_code: string(party.bank_id_code.as_ref()),
                }),
        }
    }
}

impl From<&Party> for PartyInput {
    fn from(party: &Party) -> Self {
        Self {
            account_name: string(party.account_name.as_ref()),
            account_number: party.account_number.as_ref().map(|n| n.as_str().to_owned()),
            account_number_code: party.account_number_code.map(|code| code.code().to_owned()),
            account_type: party.account_type,
            address: string(party.address.as_ref()),
            bank_id: string(party.bank_id.as_ref()),
            bank_id_code: string(party.bank_id_code.as_ref()),
            name: string(party.name.as_ref()),
        }
    }
}
