"""The use cases: what a session and a live class can do, with no HTTP in sight.

The web layer translates a request into one call here and the result into an
answer; the stores below keep what these functions change.
"""
