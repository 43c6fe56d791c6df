# make standalone: one self-contained script per unittests.cfg entry in
# tests/standalone/ (scripts/mkstandalone.sh; kernel embedded in base64, runs
# without the source tree). STANDALONE_ENTRIES=NAME... limits it to entries.
STANDALONE_ENTRIES ?=

.PHONY: standalone
standalone: kernels host-tools
	scripts/mkstandalone.sh $(STANDALONE_ENTRIES)
