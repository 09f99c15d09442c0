"""The core: the algorithm, a student's session, the data sets and the measures.

numpy and scikit-learn only: no web framework, no HTTP status, no sentences for
students. Everything here trusts its input; the web layer validates it once.
"""
