//! "Did you mean …?": the closest known name to a misspelt one (`findByID` → `findById`).

/// The candidate closest to `word` by edit distance (insertions, deletions, substitutions and swaps of
/// neighbours), or `None` when nothing is close enough to be a likely typo. A candidate that differs only
/// in letter case always wins, since that is the most common beginner slip.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if word.is_empty() {
        return None;
    }
    let lower_word = word.to_lowercase();
    if let Some(same_but_case) =
        candidates.iter().find(|candidate| candidate.to_lowercase() == lower_word && **candidate != word)
    {
        return Some(same_but_case);
    }
    let word_chars: Vec<char> = lower_word.chars().collect();
    // Short words allow one edit, longer ones up to a third of their length (at most 3).
    let allowed = (word_chars.len() / 3).clamp(1, 3);
    let mut best: Option<(usize, usize, &'a str)> = None;
    for &candidate in candidates {
        if candidate == word {
            return Some(candidate);
        }
        let candidate_chars: Vec<char> = candidate.to_lowercase().chars().collect();
        let distance = edit_distance(&word_chars, &candidate_chars);
        if distance > allowed {
            continue;
        }
        // Ties go to the candidate with the closer exact-case spelling.
        let case_distance = edit_distance(&word.chars().collect::<Vec<_>>(), &candidate.chars().collect::<Vec<_>>());
        let better = match best {
            None => true,
            Some((best_distance, best_case, _)) => (distance, case_distance) < (best_distance, best_case),
        };
        if better {
            best = Some((distance, case_distance, candidate));
        }
    }
    best.map(|(_, _, candidate)| candidate)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
fn edit_distance(a: &[char], b: &[char]) -> usize {
    // Very long inputs are never typos of API names; bail out cheaply instead of an O(n·m) walk.
    if a.len().abs_diff(b.len()) > 3 || a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    let width = b.len() + 1;
    let mut previous_row: Vec<usize> = (0..width).collect();
    let mut before_previous: Vec<usize> = vec![0; width];
    let mut row = vec![0; width];
    for (i, &ca) in a.iter().enumerate() {
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let deletion = previous_row.get(j + 1).copied().unwrap_or(usize::MAX).saturating_add(1);
            let insertion = row.get(j).copied().unwrap_or(usize::MAX).saturating_add(1);
            let substitution = previous_row.get(j).copied().unwrap_or(usize::MAX).saturating_add(cost);
            let mut best = deletion.min(insertion).min(substitution);
            let swapped = i > 0 && j > 0 && a.get(i - 1) == Some(&cb) && b.get(j - 1) == Some(&ca);
            if swapped {
                best = best.min(before_previous.get(j - 1).copied().unwrap_or(usize::MAX).saturating_add(1));
            }
            if let Some(slot) = row.get_mut(j + 1) {
                *slot = best;
            }
        }
        before_previous.clone_from(&previous_row);
        previous_row.clone_from(&row);
    }
    previous_row.get(b.len()).copied().unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const METHODS: &[&str] = &[
        "find",
        "findOne",
        "findById",
        "findByIdAndUpdate",
        "findByIdAndDelete",
        "updateOne",
        "updateMany",
        "deleteOne",
        "deleteMany",
        "create",
        "insertMany",
        "countDocuments",
        "sort",
        "limit",
        "skip",
    ];

    #[test]
    fn suggestions() {
        let table = [
            ("findByID", Some("findById")),
            ("findone", Some("findOne")),
            ("fnd", Some("find")),
            ("updateone", Some("updateOne")),
            ("deleteMnay", Some("deleteMany")),
            ("creat", Some("create")),
            ("limt", Some("limit")),
            ("find", Some("find")),
            ("aggregate", None),
            ("", None),
            ("x", None),
            ("findByIdAndUpdat", Some("findByIdAndUpdate")),
            ("countDocument", Some("countDocuments")),
        ];
        for (word, expected) in table {
            assert_eq!(nearest(word, METHODS), expected, "{word}");
        }
    }

    #[test]
    fn distances() {
        let d = |a: &str, b: &str| edit_distance(&a.chars().collect::<Vec<_>>(), &b.chars().collect::<Vec<_>>());
        assert_eq!(d("", ""), 0);
        assert_eq!(d("abc", "abc"), 0);
        assert_eq!(d("abc", "acb"), 1);
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("a", "abcdef"), usize::MAX);
    }
}
