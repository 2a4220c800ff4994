import { Component, createRef } from "preact";
import { MarkdownView } from "../markdown";

interface Props {
  content: string;
  streaming: boolean;
}

/**
 * Bridges Preact and the incremental Markdown renderer: Preact renders the empty
 * container once; after that the renderer owns its children and appends only the new
 * tokens of a streaming message instead of re-rendering the whole text.
 */
export class MarkdownBlock extends Component<Props> {
  private ref = createRef<HTMLDivElement>();
  private view: MarkdownView | null = null;

  componentDidMount(): void {
    if (!this.ref.current) return;
    this.view = new MarkdownView(this.ref.current);
    this.view.update(this.props.content, this.props.streaming);
  }

  shouldComponentUpdate(next: Props): boolean {
    if (this.view) this.view.update(next.content, next.streaming);
    return false;
  }

  render() {
    return <div class="cp-md" ref={this.ref} />;
  }
}
