//! Payment attributes as a client writes them: every value as text, nothing
//! checked yet. This is the Form3 attribute JSON (snake_case, absent values
//! left out), the wire form of attributes in both directions.
//!
//! A client's attributes are judged by today's rules, once, where they come
//! in, and every problem is reported at once:
//! - a new payment's attributes by [`PaymentAttributesInput::validate`];
//! - a change by [`Payment::update`](crate::Payment::update), which judges
//!   what the client sends against the payment as stored: each member sent,
//!   and each rule that ties a member sent to one left alone (an amount's
//!   places against the stored currency, an account number against its
//!   code). What the client leaves alone is not judged again, so a payment
//!   stored under rules that have changed since can still be updated.

use serde::{Deserialize, Serialize};

use crate::attributes::{ChargesInformation, Fx, Party, PaymentAttributes, SponsorParty};
use crate::currency::Currency;
use crate::money::{Amount, ExchangeRate, Money};
use crate::text::{AccountNumber, AccountNumberCode, BearerCode, NumericReference, Text};
use crate::time::{Date, Timestamp};
use crate::validation::{FieldPath, ValidationErrors};

/// Where a member's value comes from when attributes are judged: what the
/// client sent, or (for an update) what is stored.
type Stored<'a, T> = Option<&'a T>;

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

/// Judges one member: when the client sent it, by `parse`, recording a
/// failure at `path`; otherwise the stored value stands as it is.
fn member<T: Clone>(
    errors: &mut ValidationErrors,
    path: FieldPath,
    sent: Option<&String>,
    stored: Stored<'_, T>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    match sent.map(|text| parse(text)) {
        Some(Ok(value)) => Some(value),
        Some(Err(problem)) => {
            errors.push(path, problem);
            None
        }
        None => stored.cloned(),
    }
}

fn text(
    errors: &mut ValidationErrors,
    path: FieldPath,
    sent: Option<&String>,
    stored: Stored<'_, Text>,
) -> Option<Text> {
    member(errors, path, sent, stored, |v| {
        Text::parse(v, MAX_TEXT_CHARS)
    })
}

/// One side of a pair of members judged together (an amount and its
/// currency): its path and what the client sent for it.
type Side<'a> = (FieldPath, Option<&'a String>);

/// Judges an amount and its currency, given as two members, together. When
/// the client sent neither, the stored pair stands as it is. Otherwise
/// each side sent is parsed, each side not sent is taken from the store,
/// and the amount's places are checked against the currency. A side that
/// is neither sent nor stored is an error, on that side.
fn money(
    errors: &mut ValidationErrors,
    (amount_path, amount): Side<'_>,
    (currency_path, currency): Side<'_>,
    stored: Stored<'_, Money>,
    required: bool,
) -> Option<Money> {
    if amount.is_none() && currency.is_none() {
        if stored.is_none() && required {
            errors.push(amount_path, "is required");
            errors.push(currency_path, "is required");
        }
        return stored.copied();
    }
    let missing = |other: &FieldPath| {
        if required {
            "is required".to_owned()
        } else {
            format!("is required when {other} is given")
        }
    };
    let stored_amount = stored.map(Money::amount);
    let stored_currency = stored.map(Money::currency);
    if amount.is_none() && stored_amount.is_none() {
        errors.push(amount_path.clone(), missing(&currency_path));
    }
    if currency.is_none() && stored_currency.is_none() {
        errors.push(currency_path.clone(), missing(&amount_path));
    }
    let amount = member(
        errors,
        amount_path.clone(),
        amount,
        stored_amount.as_ref(),
        Amount::parse,
    );
    let currency = member(
        errors,
        currency_path,
        currency,
        stored_currency.as_ref(),
        Currency::parse,
    );
    let (amount, currency) = (amount?, currency?);
    errors.check(&amount_path, Money::new(amount, currency))
}

/// Judges an object member (a party, the charges, the fx): when the client
/// sent it, member by member over the stored object (or an empty one);
/// otherwise the stored object stands as it is.
fn object<I, T: Clone + Default>(
    sent: Option<&I>,
    stored: Stored<'_, T>,
    judge: impl FnOnce(&I, &T) -> T,
) -> Option<T> {
    match sent {
        Some(sent) => Some(judge(sent, stored.unwrap_or(&T::default()))),
        None => stored.cloned(),
    }
}

impl PaymentAttributesInput {
    /// Judges these attributes as a new payment's, by today's rules,
    /// collecting every problem with the path of the attribute it concerns
    /// (below `attributes`).
    ///
    /// # Errors
    /// All problems found, when there is at least one.
    pub fn validate(&self) -> Result<PaymentAttributes, ValidationErrors> {
        self.judge(None)
    }

    /// Judges these attributes as a change to `stored` (see the module
    /// docs): the members given replace the stored ones, objects (parties,
    /// charges, fx) merge member by member, the `sender_charges` list is
    /// replaced whole, and absent members leave the stored ones as they are.
    ///
    /// # Errors
    /// All problems found, when there is at least one.
    pub(crate) fn judge_change(
        &self,
        stored: &PaymentAttributes,
    ) -> Result<PaymentAttributes, ValidationErrors> {
        self.judge(Some(stored))
    }

    #[allow(clippy::too_many_lines)] // one statement per attribute; splitting would scatter the list
    fn judge(
        &self,
        stored: Option<&PaymentAttributes>,
    ) -> Result<PaymentAttributes, ValidationErrors> {
        let root = FieldPath::root().field("attributes");
        let mut errors = ValidationErrors::new();
        let at = |name| root.field(name);

        let money = money(
            &mut errors,
            (at("amount"), self.amount.as_ref()),
            (at("currency"), self.currency.as_ref()),
            stored.map(|s| &s.money),
            true,
        );
        let beneficiary_party = object(
            self.beneficiary_party.as_ref(),
            stored.and_then(|s| s.beneficiary_party.as_ref()),
            |sent, stored| sent.judge(&mut errors, &at("beneficiary_party"), stored),
        );
        let charges_information = object(
            self.charges_information.as_ref(),
            stored.and_then(|s| s.charges_information.as_ref()),
            |sent, stored| sent.judge(&mut errors, &at("charges_information"), stored),
        );
        let debtor_party = object(
            self.debtor_party.as_ref(),
            stored.and_then(|s| s.debtor_party.as_ref()),
            |sent, stored| sent.judge(&mut errors, &at("debtor_party"), stored),
        );
        let description = member(
            &mut errors,
            at("description"),
            self.description.as_ref(),
            stored.and_then(|s| s.description.as_ref()),
            |v| Text::parse(v, MAX_DESCRIPTION_CHARS),
        );
        let end_to_end_reference = text(
            &mut errors,
            at("end_to_end_reference"),
            self.end_to_end_reference.as_ref(),
            stored.and_then(|s| s.end_to_end_reference.as_ref()),
        );
        let fx = object(
            self.fx.as_ref(),
            stored.and_then(|s| s.fx.as_ref()),
            |sent, stored| sent.judge(&mut errors, &at("fx"), stored),
        );
        let numeric_reference = member(
            &mut errors,
            at("numeric_reference"),
            self.numeric_reference.as_ref(),
            stored.and_then(|s| s.numeric_reference.as_ref()),
            NumericReference::parse,
        );
        let payment_id = text(
            &mut errors,
            at("payment_id"),
            self.payment_id.as_ref(),
            stored.and_then(|s| s.payment_id.as_ref()),
        );
        let payment_purpose = text(
            &mut errors,
            at("payment_purpose"),
            self.payment_purpose.as_ref(),
            stored.and_then(|s| s.payment_purpose.as_ref()),
        );
        let payment_scheme = text(
            &mut errors,
            at("payment_scheme"),
            self.payment_scheme.as_ref(),
            stored.and_then(|s| s.payment_scheme.as_ref()),
        );
        let payment_timestamp = member(
            &mut errors,
            at("payment_timestamp"),
            self.payment_timestamp.as_ref(),
            stored.and_then(|s| s.payment_timestamp.as_ref()),
            Timestamp::parse,
        );
        let payment_type = text(
            &mut errors,
            at("payment_type"),
            self.payment_type.as_ref(),
            stored.and_then(|s| s.payment_type.as_ref()),
        );
        let processing_date = member(
            &mut errors,
            at("processing_date"),
            self.processing_date.as_ref(),
            stored.and_then(|s| s.processing_date.as_ref()),
            Date::parse,
        );
        let reference = text(
            &mut errors,
            at("reference"),
            self.reference.as_ref(),
            stored.and_then(|s| s.reference.as_ref()),
        );
        let scheme_payment_sub_type = text(
            &mut errors,
            at("scheme_payment_sub_type"),
            self.scheme_payment_sub_type.as_ref(),
            stored.and_then(|s| s.scheme_payment_sub_type.as_ref()),
        );
        let scheme_payment_type = text(
            &mut errors,
            at("scheme_payment_type"),
            self.scheme_payment_type.as_ref(),
            stored.and_then(|s| s.scheme_payment_type.as_ref()),
        );
        let sponsor_party = object(
            self.sponsor_party.as_ref(),
            stored.and_then(|s| s.sponsor_party.as_ref()),
            |sent, stored| sent.judge(&mut errors, &at("sponsor_party"), stored),
        );

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

    /// Whether no attribute is given at all.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl PartyInput {
    fn judge(&self, errors: &mut ValidationErrors, path: &FieldPath, stored: &Party) -> Party {
        let code_path = path.field("account_number_code");
        let account_number_code = member(
            errors,
            code_path.clone(),
            self.account_number_code.as_ref(),
            stored.account_number_code.as_ref(),
            AccountNumberCode::parse,
        );
        let account_number = match (&self.account_number, &stored.account_number) {
            (Some(sent), _) => errors.check(
                &path.field("account_number"),
                AccountNumber::parse(sent, account_number_code.as_ref()),
            ),
            // A new code must suit the number already stored.
            (None, Some(number)) => {
                if self.account_number_code.is_some() {
                    errors.check(
                        &code_path,
                        number
                            .check_code(account_number_code.as_ref())
                            .map_err(|problem| format!("the stored account number {problem}")),
                    );
                }
                Some(number.clone())
            }
            (None, None) => None,
        };
        Party {
            account_name: text(
                errors,
                path.field("account_name"),
                self.account_name.as_ref(),
                stored.account_name.as_ref(),
            ),
            account_number,
            account_number_code,
            account_type: self.account_type.or(stored.account_type),
            address: text(
                errors,
                path.field("address"),
                self.address.as_ref(),
                stored.address.as_ref(),
            ),
            bank_id: text(
                errors,
                path.field("bank_id"),
                self.bank_id.as_ref(),
                stored.bank_id.as_ref(),
            ),
            bank_id_code: text(
                errors,
                path.field("bank_id_code"),
                self.bank_id_code.as_ref(),
                stored.bank_id_code.as_ref(),
            ),
            name: text(
                errors,
                path.field("name"),
                self.name.as_ref(),
                stored.name.as_ref(),
            ),
        }
    }
}

impl SponsorPartyInput {
    fn judge(
        &self,
        errors: &mut ValidationErrors,
        path: &FieldPath,
        stored: &SponsorParty,
    ) -> SponsorParty {
        SponsorParty {
            account_number: member(
                errors,
                path.field("account_number"),
                self.account_number.as_ref(),
                stored.account_number.as_ref(),
                |v| AccountNumber::parse(v, None),
            ),
            bank_id: text(
                errors,
                path.field("bank_id"),
                self.bank_id.as_ref(),
                stored.bank_id.as_ref(),
            ),
            bank_id_code: text(
                errors,
                path.field("bank_id_code"),
                self.bank_id_code.as_ref(),
                stored.bank_id_code.as_ref(),
            ),
        }
    }
}

impl ChargesInformationInput {
    fn judge(
        &self,
        errors: &mut ValidationErrors,
        path: &FieldPath,
        stored: &ChargesInformation,
    ) -> ChargesInformation {
        let bearer_code = member(
            errors,
            path.field("bearer_code"),
            self.bearer_code.as_ref(),
            stored.bearer_code.as_ref(),
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
            stored.receiver_charges.as_ref(),
            false,
        );
        // The list is replaced whole: every charge sent is judged.
        let sender_charges = match &self.sender_charges {
            Some(charges) => {
                let list = path.field("sender_charges");
                Some(
                    charges
                        .iter()
                        .enumerate()
                        .filter_map(|(index, charge)| {
                            let item = list.index(index);
                            money(
                                errors,
                                (item.field("amount"), charge.amount.as_ref()),
                                (item.field("currency"), charge.currency.as_ref()),
                                None,
                                true,
                            )
                        })
                        .collect(),
                )
            }
            None => stored.sender_charges.clone(),
        };
        ChargesInformation {
            bearer_code,
            receiver_charges,
            sender_charges,
        }
    }
}

impl FxInput {
    fn judge(&self, errors: &mut ValidationErrors, path: &FieldPath, stored: &Fx) -> Fx {
        Fx {
            contract_reference: text(
                errors,
                path.field("contract_reference"),
                self.contract_reference.as_ref(),
                stored.contract_reference.as_ref(),
            ),
            exchange_rate: member(
                errors,
                path.field("exchange_rate"),
                self.exchange_rate.as_ref(),
                stored.exchange_rate.as_ref(),
                ExchangeRate::parse,
            ),
            original: money(
                errors,
                (path.field("original_amount"), self.original_amount.as_ref()),
                (
                    path.field("original_currency"),
                    self.original_currency.as_ref(),
                ),
                stored.original.as_ref(),
                false,
            ),
        }
    }
}

/// A value as the text the wire and storage forms hold.
pub(crate) fn string<T: ToString>(value: Option<&T>) -> Option<String> {
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
                    bearer_code: charges
                        .bearer_code
                        .as_ref()
                        .map(|code| code.code().to_owned()),
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
