"""How typed text is read, the same way by every process: plain forms, the language a message is
written in, the language a switch request asks for, whether a message has any word at all.
Standard library only, Python 3.10+, no I/O (imported by the Rasa process, the actions and the tests)."""
