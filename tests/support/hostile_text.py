"""Text that hypothesis does not draw by default: lone surrogates, controls, format and space
characters, private and unassigned code points, each as likely as letters.

hypothesis leaves surrogates out unless asked, and merges a union of character sets into one
range of 1.1 million code points where the 2,048 surrogates are rare; a list of characters
keeps each branch's share."""

from hypothesis import strategies as st

ANY_CHARACTER = st.one_of(st.characters(codec="ascii"), st.characters(categories=["Cs"]),
                          st.characters(categories=["Cc", "Cf", "Co", "Cn", "Zs", "Zl", "Zp"]),
                          st.characters(exclude_categories=()))


def any_text(max_size: int) -> st.SearchStrategy[str]:
    return st.lists(ANY_CHARACTER, max_size=max_size).map("".join)
