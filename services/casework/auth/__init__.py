"""Who is calling (identity: API tokens now, single sign-on later) and what they may do (authorisation)."""
