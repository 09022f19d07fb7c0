//! City-to-city exchange: who may change what, and what cities tell each other.
//!
//! The domain of the exchange without storage or HTTP: the [`Role`]s of accounts and the
//! [`Action`]s each may take ([`Account::may`], the one place authorisation is decided),
//! passwords hashed with Argon2id ([`password`]), session and CSRF tokens ([`token`]), the
//! content city editors keep ([`content`]: city pages, practices, needs and offers, network
//! recommendations, each with its checked free-text fields), and the matching of cities
//! ([`matching`]: whose offers meet whose needs, and statistical peers with their reasons).
//!
//! Readers have no account: everything here is about who may *change* the exchange.

pub mod content;
pub mod matching;
pub mod password;
pub mod token;

/// What an account may do. Readers have no account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Creates and revokes accounts, reads the audit log; may also curate.
    Administrator,
    /// Curates the network's recommendations and moderates practices.
    Coordinator,
    /// Keeps the page, practices, needs, offers and tables of one city.
    CityEditor,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Administrator, Role::Coordinator, Role::CityEditor];

    /// As stored and in forms.
    pub fn code(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Coordinator => "coordinator",
            Role::CityEditor => "city-editor",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Coordinator => "network coordinator",
            Role::CityEditor => "city editor",
        }
    }
}

/// A signed-in account as authorisation sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: i64,
    /// The login name.
    pub name: String,
    pub display_name: String,
    pub role: Role,
    /// The city a city editor keeps (its Urban Audit code); `None` for the other roles.
    pub city: Option<String>,
    /// A revoked account cannot sign in and has no session.
    pub active: bool,
}

/// Something that changes the exchange.
#[derive(Debug, Clone, PartialEq)]
pub enum Action<'a> {
    /// Create or revoke accounts.
    ManageAccounts,
    /// Read the audit log.
    ReadAuditLog,
    /// Add or edit the network's recommendations; hide or show a practice of any city.
    Curate,
    /// Change the page, practices, needs, offers or uploaded tables of a city.
    EditCity(&'a str),
    /// Change one's own password.
    ChangeOwnPassword,
}

impl Account {
    /// Whether this account may take `action`: the one authorisation rule of the exchange.
    ///
    /// A revoked account may do nothing. An administrator manages accounts, reads the audit
    /// log and curates, but does not edit cities (a city's content is its editors' word); a
    /// coordinator curates; a city editor edits exactly one city.
    pub fn may(&self, action: &Action<'_>) -> bool {
        if !self.active {
            return false;
        }
        match action {
            Action::ChangeOwnPassword => true,
            Action::ManageAccounts | Action::ReadAuditLog => self.role == Role::Administrator,
            Action::Curate => matches!(self.role, Role::Administrator | Role::Coordinator),
            Action::EditCity(city) => {
                self.role == Role::CityEditor && self.city.as_deref() == Some(*city)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(role: Role, city: Option<&str>) -> Account {
        Account {
            id: 1,
            name: "a".into(),
            display_name: "A".into(),
            role,
            city: city.map(String::from),
            active: true,
        }
    }

    #[test]
    fn each_role_may_exactly_its_actions() {
        let admin = account(Role::Administrator, None);
        let coordinator = account(Role::Coordinator, None);
        let graz = account(Role::CityEditor, Some("AT002C"));
        let actions = [
            Action::ManageAccounts,
            Action::ReadAuditLog,
            Action::Curate,
            Action::EditCity("AT002C"),
            Action::EditCity("AT001C"),
            Action::ChangeOwnPassword,
        ];
        let allowed = |a: &Account| actions.iter().map(|x| a.may(x)).collect::<Vec<_>>();
        assert_eq!(
            allowed(&admin),
            [true, true, true, false, false, true],
            "administrator"
        );
        assert_eq!(
            allowed(&coordinator),
            [false, false, true, false, false, true],
            "coordinator"
        );
        assert_eq!(
            allowed(&graz),
            [false, false, false, true, false, true],
            "editor of Graz"
        );
        let revoked = Account {
            active: false,
            ..admin
        };
        assert!(actions.iter().all(|x| !revoked.may(x)));
    }

    #[test]
    fn an_editor_without_a_city_edits_none() {
        let editor = account(Role::CityEditor, None);
        assert!(!editor.may(&Action::EditCity("")));
    }
}
