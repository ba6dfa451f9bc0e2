"""The dashboard's pages, one file each; ``app.py`` registers them with ``st.navigation``.

Each page module defines ``render()`` and runs it when Streamlit executes the file as a page script
(``__name__ == "__main__"``), so importing a page (tests, mypy) has no side effects.
"""
