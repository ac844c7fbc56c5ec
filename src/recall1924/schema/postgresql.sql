-- recall's schema at revision 0012 on PostgreSQL:
-- what pg_dump --schema-only gives of a schema the migrations filled (tables,
-- sequences, constraints, indexes, the counters' function and triggers), without the
-- schema's name: the objects are made in the first schema of the search_path.
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

CREATE FUNCTION review_log_counters() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP <> 'INSERT' THEN UPDATE card SET review_answers = review_answers - 1, review_lapses = review_lapses - CAST((OLD.rating = 1) AS integer), mature_answers = mature_answers - CAST(COALESCE((OLD.due_before - OLD.last_review_before) >= 1771200000, false) AS integer), mature_lapses = mature_lapses - CAST(((OLD.rating = 1) AND COALESCE((OLD.due_before - OLD.last_review_before) >= 1771200000, false)) AS integer) WHERE id = OLD.card_id AND (OLD.kind = 0 AND OLD.state_before = 2); END IF; IF TG_OP <> 'DELETE' THEN UPDATE card SET review_answers = review_answers + 1, review_lapses = review_lapses + CAST((NEW.rating = 1) AS integer), mature_answers = mature_answers + CAST(COALESCE((NEW.due_before - NEW.last_review_before) >= 1771200000, false) AS integer), mature_lapses = mature_lapses + CAST(((NEW.rating = 1) AND COALESCE((NEW.due_before - NEW.last_review_before) >= 1771200000, false)) AS integer) WHERE id = NEW.card_id AND (NEW.kind = 0 AND NEW.state_before = 2); END IF; RETURN NULL; END $$;

CREATE TABLE alembic_version (
    version_num character varying(32) NOT NULL
);

CREATE TABLE card (
    id integer NOT NULL,
    deck_id integer NOT NULL,
    section_id integer NOT NULL,
    key character varying NOT NULL,
    "position" integer NOT NULL,
    question character varying NOT NULL,
    answer character varying NOT NULL,
    note character varying,
    tags json NOT NULL,
    state integer NOT NULL,
    step integer,
    stability double precision,
    difficulty double precision,
    due timestamp without time zone NOT NULL,
    last_review timestamp without time zone,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL,
    source_id character varying,
    suspended boolean DEFAULT false NOT NULL,
    buried_until timestamp without time zone,
    flag integer DEFAULT 0 NOT NULL,
    flag_reason character varying,
    edited_at timestamp without time zone,
    upstream json,
    search_text character varying DEFAULT ''::character varying NOT NULL,
    search_tags character varying DEFAULT ''::character varying NOT NULL,
    review_answers integer DEFAULT 0 NOT NULL,
    review_lapses integer DEFAULT 0 NOT NULL,
    mature_answers integer DEFAULT 0 NOT NULL,
    mature_lapses integer DEFAULT 0 NOT NULL,
    version integer DEFAULT 0 NOT NULL,
    cloze character varying,
    cloze_ord integer
);

CREATE SEQUENCE card_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE card_id_seq OWNED BY card.id;

CREATE TABLE deck (
    id integer NOT NULL,
    key character varying NOT NULL,
    title character varying NOT NULL,
    description character varying,
    source character varying,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL,
    version integer
);

CREATE SEQUENCE deck_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE deck_id_seq OWNED BY deck.id;

CREATE TABLE media (
    id integer NOT NULL,
    deck_id integer NOT NULL,
    name character varying NOT NULL,
    file character varying NOT NULL,
    size integer NOT NULL
);

CREATE SEQUENCE media_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE media_id_seq OWNED BY media.id;

CREATE TABLE review_log (
    id integer NOT NULL,
    card_id integer NOT NULL,
    kind integer NOT NULL,
    rating integer NOT NULL,
    reviewed_at bigint NOT NULL,
    duration_ms integer,
    state_before integer NOT NULL,
    step_before integer,
    stability_before double precision,
    difficulty_before double precision,
    due_before bigint NOT NULL,
    last_review_before bigint,
    state_after integer NOT NULL,
    step_after integer,
    stability_after double precision,
    difficulty_after double precision,
    due_after bigint NOT NULL,
    last_review_after bigint
);

CREATE SEQUENCE review_log_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE review_log_id_seq OWNED BY review_log.id;

CREATE TABLE section (
    id integer NOT NULL,
    deck_id integer NOT NULL,
    key character varying NOT NULL,
    title character varying NOT NULL,
    "position" integer NOT NULL
);

CREATE SEQUENCE section_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE section_id_seq OWNED BY section.id;

CREATE TABLE setting (
    scope character varying NOT NULL,
    key character varying NOT NULL,
    value character varying NOT NULL
);

ALTER TABLE ONLY card ALTER COLUMN id SET DEFAULT nextval('card_id_seq'::regclass);

ALTER TABLE ONLY deck ALTER COLUMN id SET DEFAULT nextval('deck_id_seq'::regclass);

ALTER TABLE ONLY media ALTER COLUMN id SET DEFAULT nextval('media_id_seq'::regclass);

ALTER TABLE ONLY review_log ALTER COLUMN id SET DEFAULT nextval('review_log_id_seq'::regclass);

ALTER TABLE ONLY section ALTER COLUMN id SET DEFAULT nextval('section_id_seq'::regclass);

ALTER TABLE ONLY alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);

ALTER TABLE ONLY card
    ADD CONSTRAINT card_pkey PRIMARY KEY (id);

ALTER TABLE ONLY deck
    ADD CONSTRAINT deck_key_key UNIQUE (key);

ALTER TABLE ONLY deck
    ADD CONSTRAINT deck_pkey PRIMARY KEY (id);

ALTER TABLE ONLY media
    ADD CONSTRAINT media_deck_id_name_key UNIQUE (deck_id, name);

ALTER TABLE ONLY media
    ADD CONSTRAINT media_pkey PRIMARY KEY (id);

ALTER TABLE ONLY review_log
    ADD CONSTRAINT review_log_pkey PRIMARY KEY (id);

ALTER TABLE ONLY section
    ADD CONSTRAINT section_deck_id_key_key UNIQUE (deck_id, key);

ALTER TABLE ONLY section
    ADD CONSTRAINT section_pkey PRIMARY KEY (id);

ALTER TABLE ONLY setting
    ADD CONSTRAINT setting_pkey PRIMARY KEY (scope, key);

CREATE UNIQUE INDEX ix_card_deck_key ON card USING btree (deck_id, key);

CREATE INDEX ix_card_due ON card USING btree (due, state, last_review, suspended, buried_until, deck_id, section_id, stability) INCLUDE (id);

CREATE INDEX ix_card_memory ON card USING btree (deck_id, section_id, last_review, state, due, suspended, buried_until, stability, difficulty, review_answers, review_lapses, mature_answers, mature_lapses, "position");

CREATE INDEX ix_card_section_id ON card USING btree (section_id);

CREATE INDEX ix_media_file ON media USING btree (file);

CREATE INDEX ix_review_log_card_time ON review_log USING btree (card_id, reviewed_at, state_before, kind, rating);

CREATE INDEX ix_review_log_time_kind ON review_log USING btree (reviewed_at, kind, duration_ms);

CREATE INDEX ix_section_deck_id ON section USING btree (deck_id);

CREATE TRIGGER review_log_counters_delete AFTER DELETE ON review_log FOR EACH ROW WHEN (((old.kind = 0) AND (old.state_before = 2))) EXECUTE FUNCTION review_log_counters();

CREATE TRIGGER review_log_counters_insert AFTER INSERT ON review_log FOR EACH ROW WHEN (((new.kind = 0) AND (new.state_before = 2))) EXECUTE FUNCTION review_log_counters();

CREATE TRIGGER review_log_counters_update AFTER UPDATE OF card_id, kind, rating, state_before, due_before, last_review_before ON review_log FOR EACH ROW WHEN (((old.card_id IS DISTINCT FROM new.card_id) OR (((old.kind = 0) AND (old.state_before = 2)) IS DISTINCT FROM ((new.kind = 0) AND (new.state_before = 2))) OR ((new.kind = 0) AND (new.state_before = 2) AND (((old.rating = 1) IS DISTINCT FROM (new.rating = 1)) OR (((old.due_before IS DISTINCT FROM new.due_before) OR (old.last_review_before IS DISTINCT FROM new.last_review_before)) AND (COALESCE(((old.due_before - old.last_review_before) >= 1771200000), false) IS DISTINCT FROM COALESCE(((new.due_before - new.last_review_before) >= 1771200000), false))))))) EXECUTE FUNCTION review_log_counters();

ALTER TABLE ONLY card
    ADD CONSTRAINT card_deck_id_fkey FOREIGN KEY (deck_id) REFERENCES deck(id) ON DELETE CASCADE;

ALTER TABLE ONLY card
    ADD CONSTRAINT card_section_id_fkey FOREIGN KEY (section_id) REFERENCES section(id) ON DELETE CASCADE;

ALTER TABLE ONLY media
    ADD CONSTRAINT media_deck_id_fkey FOREIGN KEY (deck_id) REFERENCES deck(id) ON DELETE CASCADE;

ALTER TABLE ONLY review_log
    ADD CONSTRAINT review_log_card_id_fkey FOREIGN KEY (card_id) REFERENCES card(id) ON DELETE CASCADE;

ALTER TABLE ONLY section
    ADD CONSTRAINT section_deck_id_fkey FOREIGN KEY (deck_id) REFERENCES deck(id) ON DELETE CASCADE;
