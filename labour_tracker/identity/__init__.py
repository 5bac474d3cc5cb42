"""Identity: bearer tokens checked and turned into the domain `User`; nothing past this package sees a JWT."""
