//! Context smoothing at the end of an article, in the spirit of jusText: once boilerplate
//! dominates the end of the page, what sits between boilerplate lines is boilerplate too
//! (a donation paragraph between two paywall notices, a promo between share links).

/// How each line was judged by the line rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// Article text, as far as the rules can tell.
    Other,
    /// Boilerplate that can also appear inside an article (ad markers, share links).
    Inline,
    /// Boilerplate that only comes after the article (paywall, appeal, comment form).
    Closing,
}

/// Boilerplate lines needed in the trailing block, and how much they must outnumber the rest.
const MIN_BOILERPLATE: usize = 3;
const DOMINANCE: usize = 2;

/// Indices of the `Other` lines to drop: those sandwiched between boilerplate lines in the
/// longest suffix that starts at a closing line and in which boilerplate lines outnumber the
/// others at least `DOMINANCE` to one.
pub fn sandwiched(marks: &[Mark]) -> Vec<usize> {
    let mut boilerplate = 0usize;
    let mut other = 0usize;
    let mut start = None;
    for (i, mark) in marks.iter().enumerate().rev() {
        match mark {
            Mark::Other => other += 1,
            _ => boilerplate += 1,
        }
        if *mark == Mark::Closing
            && boilerplate >= MIN_BOILERPLATE
            && boilerplate >= DOMINANCE * other
        {
            start = Some(i);
        }
    }
    let Some(start) = start else {
        return Vec::new();
    };
    let Some(last) = marks.iter().rposition(|m| *m != Mark::Other) else {
        return Vec::new();
    };
    (start..last)
        .filter(|&i| marks.get(i) == Some(&Mark::Other))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Mark::{Closing as C, Inline as I, Other as O};
    use super::*;

    #[test]
    fn donation_paragraph_between_paywall_notices_goes() {
        let marks = [O, O, O, C, C, C, O, C, I, I, C, C];
        assert_eq!(sandwiched(&marks), vec![6]);
    }

    #[test]
    fn article_paragraph_after_an_inline_marker_stays() {
        // An ad marker and a read-more link do not mean the article is over.
        assert_eq!(sandwiched(&[O, I, O, I, I, I]), Vec::<usize>::new());
        // Too little boilerplate to outweigh the prose around it.
        assert_eq!(sandwiched(&[O, C, O, O, C, C]), Vec::<usize>::new());
        // Prose after the last boilerplate line is not sandwiched.
        assert_eq!(sandwiched(&[O, C, C, C, O]), Vec::<usize>::new());
    }
}
