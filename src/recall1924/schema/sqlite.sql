-- recall's schema at revision 0012 on SQLite:
-- every table, index and trigger the migrations leave, as sqlite_master holds them.
-- A new collection is made from these statements, in one transaction, and stamped with the
-- revision below; an older one is upgraded by the migrations. Do not edit by hand: after adding
-- or changing a migration, run
--
--     .venv/bin/python tests/make_schema_snapshot.py
--
-- tests/test_schema_snapshot.py compares a collection made from this file with one made by the
-- migrations, and fails until this file is written again.
--
-- revision: 0012

CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL,
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

CREATE TABLE deck (
	id INTEGER NOT NULL,
	"key" VARCHAR NOT NULL,
	title VARCHAR NOT NULL,
	description VARCHAR,
	source VARCHAR,
	created_at DATETIME NOT NULL,
	updated_at DATETIME NOT NULL, version INTEGER,
	PRIMARY KEY (id),
	UNIQUE ("key")
);

CREATE TABLE section (
	id INTEGER NOT NULL,
	deck_id INTEGER NOT NULL,
	"key" VARCHAR NOT NULL,
	title VARCHAR NOT NULL,
	position INTEGER NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (deck_id, "key"),
	FOREIGN KEY(deck_id) REFERENCES deck (id) ON DELETE CASCADE
);

CREATE INDEX ix_section_deck_id ON section (deck_id);

CREATE TABLE setting (
	scope VARCHAR NOT NULL,
	"key" VARCHAR NOT NULL,
	value VARCHAR NOT NULL,
	PRIMARY KEY (scope, "key")
);

CREATE TABLE media (
	id INTEGER NOT NULL,
	deck_id INTEGER NOT NULL,
	name VARCHAR NOT NULL,
	file VARCHAR NOT NULL,
	size INTEGER NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (deck_id, name),
	FOREIGN KEY(deck_id) REFERENCES deck (id) ON DELETE CASCADE
);

CREATE INDEX ix_media_file ON media (file);

CREATE TABLE "review_log" (
	id INTEGER NOT NULL,
	card_id INTEGER NOT NULL,
	kind INTEGER NOT NULL,
	rating INTEGER NOT NULL,
	reviewed_at BIGINT NOT NULL,
	duration_ms INTEGER,
	state_before INTEGER NOT NULL,
	step_before INTEGER,
	stability_before FLOAT,
	difficulty_before FLOAT,
	due_before BIGINT NOT NULL,
	last_review_before BIGINT,
	state_after INTEGER NOT NULL,
	step_after INTEGER,
	stability_after FLOAT,
	difficulty_after FLOAT,
	due_after BIGINT NOT NULL,
	last_review_after BIGINT,
	PRIMARY KEY (id),
	FOREIGN KEY(card_id) REFERENCES card (id) ON DELETE CASCADE
);

CREATE INDEX ix_review_log_card_time ON review_log (card_id, reviewed_at, state_before, kind, rating);

CREATE INDEX ix_review_log_time_kind ON review_log (reviewed_at, kind, duration_ms);

CREATE TABLE "card" (
	id INTEGER NOT NULL,
	deck_id INTEGER NOT NULL,
	section_id INTEGER NOT NULL,
	"key" VARCHAR NOT NULL,
	position INTEGER NOT NULL,
	question VARCHAR NOT NULL,
	answer VARCHAR NOT NULL,
	note VARCHAR,
	tags JSON NOT NULL,
	state INTEGER NOT NULL,
	step INTEGER,
	stability FLOAT,
	difficulty FLOAT,
	due DATETIME NOT NULL,
	last_review DATETIME,
	created_at DATETIME NOT NULL,
	updated_at DATETIME NOT NULL,
	source_id VARCHAR,
	suspended BOOLEAN DEFAULT 0 NOT NULL,
	buried_until DATETIME,
	flag INTEGER DEFAULT '0' NOT NULL,
	flag_reason VARCHAR,
	edited_at DATETIME,
	upstream JSON,
	search_text VARCHAR DEFAULT '' NOT NULL,
	search_tags VARCHAR DEFAULT '' NOT NULL,
	review_answers INTEGER DEFAULT '0' NOT NULL,
	review_lapses INTEGER DEFAULT '0' NOT NULL,
	mature_answers INTEGER DEFAULT '0' NOT NULL,
	mature_lapses INTEGER DEFAULT '0' NOT NULL,
	version INTEGER DEFAULT '0' NOT NULL,
	cloze VARCHAR,
	cloze_ord INTEGER,
	PRIMARY KEY (id),
	FOREIGN KEY(deck_id) REFERENCES deck (id) ON DELETE CASCADE,
	FOREIGN KEY(section_id) REFERENCES section (id) ON DELETE CASCADE
);

CREATE INDEX ix_card_section_id ON card (section_id);

CREATE INDEX ix_card_memory ON card (deck_id, section_id, last_review, state, due, suspended, buried_until, stability, difficulty, review_answers, review_lapses, mature_answers, mature_lapses, position);

CREATE INDEX ix_card_due ON card (due, state, last_review, suspended, buried_until, deck_id, section_id, stability);

CREATE TRIGGER review_log_counters_insert AFTER INSERT ON review_log WHEN (NEW.kind = 0 AND NEW.state_before = 2) BEGIN UPDATE card SET review_answers = review_answers + 1, review_lapses = review_lapses + (NEW.rating = 1), mature_answers = mature_answers + COALESCE((NEW.due_before - NEW.last_review_before) >= 1771200000, 0), mature_lapses = mature_lapses + ((NEW.rating = 1) AND COALESCE((NEW.due_before - NEW.last_review_before) >= 1771200000, 0)) WHERE id = NEW.card_id AND (NEW.kind = 0 AND NEW.state_before = 2); END;

CREATE TRIGGER review_log_counters_delete AFTER DELETE ON review_log WHEN (OLD.kind = 0 AND OLD.state_before = 2) BEGIN UPDATE card SET review_answers = review_answers - 1, review_lapses = review_lapses - (OLD.rating = 1), mature_answers = mature_answers - COALESCE((OLD.due_before - OLD.last_review_before) >= 1771200000, 0), mature_lapses = mature_lapses - ((OLD.rating = 1) AND COALESCE((OLD.due_before - OLD.last_review_before) >= 1771200000, 0)) WHERE id = OLD.card_id AND (OLD.kind = 0 AND OLD.state_before = 2); END;

CREATE TRIGGER review_log_counters_update AFTER UPDATE OF card_id, kind, rating, state_before, due_before, last_review_before ON review_log WHEN OLD.card_id IS NOT NEW.card_id OR (OLD.kind = 0 AND OLD.state_before = 2) IS NOT (NEW.kind = 0 AND NEW.state_before = 2) OR ((NEW.kind = 0 AND NEW.state_before = 2) AND ((OLD.rating = 1) IS NOT (NEW.rating = 1) OR ((OLD.due_before IS NOT NEW.due_before OR OLD.last_review_before IS NOT NEW.last_review_before) AND COALESCE((OLD.due_before - OLD.last_review_before) >= 1771200000, 0) IS NOT COALESCE((NEW.due_before - NEW.last_review_before) >= 1771200000, 0)))) BEGIN UPDATE card SET review_answers = review_answers - 1, review_lapses = review_lapses - (OLD.rating = 1), mature_answers = mature_answers - COALESCE((OLD.due_before - OLD.last_review_before) >= 1771200000, 0), mature_lapses = mature_lapses - ((OLD.rating = 1) AND COALESCE((OLD.due_before - OLD.last_review_before) >= 1771200000, 0)) WHERE id = OLD.card_id AND (OLD.kind = 0 AND OLD.state_before = 2); UPDATE card SET review_answers = review_answers + 1, review_lapses = review_lapses + (NEW.rating = 1), mature_answers = mature_answers + COALESCE((NEW.due_before - NEW.last_review_before) >= 1771200000, 0), mature_lapses = mature_lapses + ((NEW.rating = 1) AND COALESCE((NEW.due_before - NEW.last_review_before) >= 1771200000, 0)) WHERE id = NEW.card_id AND (NEW.kind = 0 AND NEW.state_before = 2); END;

CREATE UNIQUE INDEX ix_card_deck_key ON card (deck_id, "key");
