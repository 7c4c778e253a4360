//! Colour for people at a terminal; plain text for pipes, files and `NO_COLOR`
//! (<https://no-color.org>); and the casing of sentences the commands build from parts.

use std::io::IsTerminal;

/// The few colours the commands use: green for fine, yellow for soon, red for broken.
#[derive(Clone, Copy)]
pub enum Colour {
    Green,
    Yellow,
    Red,
}

/// Whether stdout should get colour.
pub fn enabled() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `text` in `colour` when `on`.
pub fn paint(on: bool, colour: Colour, text: &str) -> String {
    if !on {
        return text.to_string();
    }
    let code = match colour {
        Colour::Green => "32",
        Colour::Yellow => "33",
        Colour::Red => "31",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// `s` with its first letter upper-case, for a sentence that starts with a name or phrase.
pub fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_when_off() {
        assert_eq!(paint(false, Colour::Red, "x"), "x");
        assert_eq!(paint(true, Colour::Green, "ok"), "\x1b[32mok\x1b[0m");
    }

    #[test]
    fn capitalized_first_letter_only() {
        assert_eq!(capitalized("the key"), "The key");
        assert_eq!(capitalized("élan"), "Élan");
        assert_eq!(capitalized(""), "");
    }
}
